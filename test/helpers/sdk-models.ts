/**
 * The response models of `tencentcloud-sdk-nodejs`'s SCF client, read from its installed type declarations
 * (`scf_models.d.ts`) with the TypeScript compiler API at test time, so that an SDK upgrade updates every
 * check made with them. Independent of `src/`: the oracle is the SDK's own declarations.
 *
 * The rule `conforms` applies (the SDK marks nearly every field optional, so `?` alone says little):
 * - a field the model declares without `?` must be present;
 * - a field declared with `?` must be present too, unless its comment says SCF may return null
 *   ("注意：此字段可能返回 null") or it is `@deprecated` — SCF's own answers carry every other field, and a
 *   client reads them without guards (`resp.EipConfig.EipFixed`);
 * - a present field has the declared JSON type (string, number, boolean, array, object); an object is
 *   checked against its interface recursively, an array's items likewise; null is accepted only where the
 *   comment says null may be returned;
 * - no field the model lacks (the envelope's `RequestId` is declared on every response model).
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ts from 'typescript';

interface Field {
  name: string;
  type: ts.TypeNode;
  /** Declared with `?`. */
  optional: boolean;
  /** The comment says SCF may return null here. */
  nullable: boolean;
  deprecated: boolean;
}

const NULLABLE = '此字段可能返回 null';

export class SdkModels {
  readonly #interfaces = new Map<string, Field[]>();
  readonly path: string;

  constructor() {
    const require = createRequire(import.meta.url);
    this.path = require.resolve(
      'tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_models.d.ts',
    );
    const text = readFileSync(this.path, 'utf8');
    const file = ts.createSourceFile(this.path, text, ts.ScriptTarget.Latest, true);
    for (const st of file.statements) {
      if (!ts.isInterfaceDeclaration(st)) continue;
      const fields: Field[] = [];
      for (const m of st.members) {
        if (!ts.isPropertySignature(m) || m.type === undefined) continue;
        const comment =
          ts
            .getLeadingCommentRanges(text, m.getFullStart())
            ?.map((r) => text.slice(r.pos, r.end))
            .join('\n') ?? '';
        fields.push({
          name: m.name.getText(file),
          type: m.type,
          optional: m.questionToken !== undefined,
          nullable: comment.includes(NULLABLE),
          deprecated: comment.includes('@deprecated'),
        });
      }
      this.#interfaces.set(st.name.text, fields);
    }
  }

  has(name: string): boolean {
    return this.#interfaces.has(name);
  }

  /** The fields of an interface (for tests that pick a field by its model). */
  fields(name: string): readonly Field[] {
    const f = this.#interfaces.get(name);
    if (!f) throw new Error(`${name} is not in ${this.path}`);
    return f;
  }

  /** Every way `value` breaks the rule above for interface `name`; empty when it conforms. */
  conforms(value: unknown, name: string, path = name): string[] {
    const fields = this.#interfaces.get(name);
    if (!fields) return [`${path}: no interface ${name} in the SDK models`];
    if (!isObject(value)) return [`${path}: expected an object (${name}), got ${kind(value)}`];
    const problems: string[] = [];
    const declared = new Set(fields.map((f) => f.name));
    for (const key of Object.keys(value)) {
      if (!declared.has(key)) problems.push(`${path}.${key}: not a field of ${name}`);
    }
    for (const f of fields) {
      const v = value[f.name];
      const at = `${path}.${f.name}`;
      if (v === undefined) {
        if (!f.optional || !(f.nullable || f.deprecated)) problems.push(`${at}: missing`);
        continue;
      }
      if (v === null) {
        if (!f.nullable) problems.push(`${at}: null where the model does not say null may be returned`);
        continue;
      }
      problems.push(...this.#type(v, f.type, at));
    }
    return problems;
  }

  #type(v: unknown, t: ts.TypeNode, at: string): string[] {
    switch (t.kind) {
      case ts.SyntaxKind.StringKeyword:
        return typeof v === 'string' ? [] : [`${at}: expected a string, got ${kind(v)}`];
      case ts.SyntaxKind.NumberKeyword:
        return typeof v === 'number' ? [] : [`${at}: expected a number, got ${kind(v)}`];
      case ts.SyntaxKind.BooleanKeyword:
        return typeof v === 'boolean' ? [] : [`${at}: expected a boolean, got ${kind(v)}`];
      case ts.SyntaxKind.ArrayType:
        return this.#array(v, (t as ts.ArrayTypeNode).elementType, at);
      case ts.SyntaxKind.TypeReference: {
        const ref = t as ts.TypeReferenceNode;
        const name = ref.typeName.getText();
        if (name === 'Array' && ref.typeArguments?.[0]) return this.#array(v, ref.typeArguments[0], at);
        return this.conforms(v, name, at);
      }
      default:
        return [`${at}: the model's type ${ts.SyntaxKind[t.kind]} is not one this check knows`];
    }
  }

  #array(v: unknown, item: ts.TypeNode, at: string): string[] {
    if (!Array.isArray(v)) return [`${at}: expected an array, got ${kind(v)}`];
    return v.flatMap((x, i) => this.#type(x, item, `${at}.${i}`));
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
