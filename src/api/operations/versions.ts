/**
 * Versions and aliases: PublishVersion, ListVersionByFunction, DeleteFunction of one version (in
 * `functions.ts`), CreateAlias, GetAlias, ListAliases, UpdateAlias, DeleteAlias. Thin: the rules are the
 * registry's (`functions/versions.ts`).
 */
import { invalidValue } from '../../errors/index.js';
import type {
  AliasDefinition,
  FunctionDefinition,
  FunctionRef,
  PublishedVersion,
} from '../../functions/types.js';
import {
  type AliasInput,
  aliasesOf,
  aliasNotFound,
  aliasVersions,
  findAlias,
  findVersion,
} from '../../functions/versions.js';
import { requireFunction } from './functions.js';
import { LATEST } from './limits.js';
import type { ActionContext } from './types.js';

/** ListVersionByFunction and ListAliases: items per page when Limit is absent. */
export const DEFAULT_VERSION_LIMIT = 20;

/** A version as listed: `$LATEST` (the function itself) or a published one. */
export interface VersionListing {
  version: string;
  description: string;
  addTime: number;
  modTime: number;
}

export interface PublishVersionOutput {
  version: PublishedVersion;
  /** The function as published (the version's view). */
  def: FunctionDefinition;
}

export async function publishVersion(
  ctx: ActionContext,
  input: FunctionRef & { description?: string },
): Promise<PublishVersionOutput> {
  await requireFunction(ctx, input);
  const version = await ctx.functions.publishVersionAsync(input, input.description ?? '');
  const def = ctx.functions.get(input.functionName, input.namespace);
  return { version, def: { ...def, ...version.function } };
}

export interface ListVersionsInput extends FunctionRef {
  offset?: number;
  limit?: number;
  order?: 'ASC' | 'DESC';
  orderBy?: 'AddTime' | 'ModTime';
}

/** `$LATEST` and every published version, oldest first unless told otherwise. */
export async function listVersions(
  ctx: ActionContext,
  input: ListVersionsInput,
): Promise<{ total: number; versions: VersionListing[] }> {
  const def = await requireFunction(ctx, input);
  const all: VersionListing[] = [
    { version: LATEST, description: def.description, addTime: def.addTime, modTime: def.modTime },
    ...def.versions.map((v) => ({
      version: v.version,
      description: v.description,
      addTime: v.addTime,
      modTime: v.modTime,
    })),
  ];
  if (input.order !== undefined || input.orderBy !== undefined) {
    const key = input.orderBy === 'ModTime' ? 'modTime' : 'addTime';
    const dir = input.order === 'DESC' ? -1 : 1;
    // Ties keep the listing's order ($LATEST, then by number).
    all.sort((a, b) => (a[key] - b[key]) * dir);
  }
  const offset = input.offset ?? 0;
  const limit = input.limit ?? DEFAULT_VERSION_LIMIT;
  return { total: all.length, versions: all.slice(offset, offset + limit) };
}

export async function createAlias(
  ctx: ActionContext,
  input: FunctionRef & AliasInput,
): Promise<AliasDefinition> {
  await requireFunction(ctx, input);
  return ctx.functions.createAliasAsync(input, input);
}

export async function updateAlias(
  ctx: ActionContext,
  input: FunctionRef & AliasInput,
): Promise<AliasDefinition> {
  await requireFunction(ctx, input);
  return ctx.functions.updateAliasAsync(input, input);
}

export async function getAlias(
  ctx: ActionContext,
  input: FunctionRef & { name: string },
): Promise<AliasDefinition> {
  const def = await requireFunction(ctx, input);
  const alias = findAlias(def, input.name);
  if (!alias) throw aliasNotFound(def, input.name);
  return alias;
}

export async function deleteAlias(ctx: ActionContext, input: FunctionRef & { name: string }): Promise<void> {
  await requireFunction(ctx, input);
  await ctx.functions.deleteAliasAsync(input, input.name);
}

export interface ListAliasesInput extends FunctionRef {
  /** Only the aliases that route to this version. */
  functionVersion?: string;
  offset?: number;
  limit?: number;
}

export async function listAliases(
  ctx: ActionContext,
  input: ListAliasesInput,
): Promise<{ total: number; aliases: AliasDefinition[] }> {
  const def = await requireFunction(ctx, input);
  const wanted = input.functionVersion;
  if (wanted !== undefined && wanted !== LATEST && !findVersion(def, wanted)) {
    throw invalidValue('functionVersion', `function ${def.functionName} has no version ${wanted}`);
  }
  const all = aliasesOf(def).filter((a) => wanted === undefined || aliasVersions(a).includes(wanted));
  const offset = input.offset ?? 0;
  const limit = input.limit ?? DEFAULT_VERSION_LIMIT;
  return { total: all.length, aliases: all.slice(offset, offset + limit) };
}
