/**
 * Credentials: the SecretId/SecretKey pairs every API call is signed with. From config (or the
 * environment, via config); when none is configured, a pair is generated on first start and kept in
 * `<dataDir>/credentials.json`, readable only by its owner (mode 0600), so the server is never open. Nodes
 * sharing a catalog (store.backend postgres) share the generated pair through it
 * (`setupSharedCredentials`), so each accepts what the others do.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ScfError } from '../../errors/index.js';

export interface Credential {
  secretId: string;
  secretKey: string;
}

export const CREDENTIALS_FILE = 'credentials.json';

/** Path of the generated credentials file in a data folder. */
export function credentialsPath(dataDir: string): string {
  return resolve(dataDir, CREDENTIALS_FILE);
}

/** Reads the generated pair from a data folder, if there is one (the CLI's default credentials). */
export function readGeneratedCredential(dataDir: string): Credential | undefined {
  const path = credentialsPath(dataDir);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Credential>;
    if (typeof parsed.secretId === 'string' && typeof parsed.secretKey === 'string') {
      return { secretId: parsed.secretId, secretKey: parsed.secretKey };
    }
  } catch (err) {
    throw new ScfError('InternalError', `credentials file ${path} is unreadable`, { cause: err });
  }
  throw new ScfError('InternalError', `credentials file ${path} does not hold secretId and secretKey`);
}

/** An SCF-looking generated pair: AKID + 32 alphanumerics, and a 32-character key. */
export function generateCredential(): Credential {
  const alnum = (n: number): string =>
    randomBytes(n * 2)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, n);
  return { secretId: `AKID${alnum(32)}`, secretKey: alnum(32) };
}

export interface CredentialSetup {
  store: CredentialStore;
  /** Set when this call wrote the data folder's credentials file (a pair it generated, or the shared one). */
  generatedAt?: string;
}

/** Configured pairs, or the data folder's generated pair (created if missing). */
export function setupCredentials(configured: readonly Credential[], dataDir: string): CredentialSetup {
  if (configured.length > 0) return { store: new CredentialStore(configured) };
  const existing = readGeneratedCredential(dataDir);
  if (existing) return { store: new CredentialStore([existing]) };
  const cred = generateCredential();
  const path = credentialsPath(dataDir);
  writeCredentialFile(dataDir, cred);
  return { store: new CredentialStore([cred]), generatedAt: path };
}

/** Writes the generated pair to the data folder's file, owner-only. */
function writeCredentialFile(dataDir: string, cred: Credential): void {
  mkdirSync(dataDir, { recursive: true });
  const path = credentialsPath(dataDir);
  writeFileSync(path, `${JSON.stringify(cred, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * `setupCredentials` for a node of several: with none configured, the platform's one generated pair,
 * kept by `share` (the shared catalog). The first node to start offers its data folder's pair (so a
 * single node moved onto a database keeps its credentials) or a new one, and every node then uses the pair
 * stored first, writing it to its own `<dataDir>/credentials.json` for the CLI (`generatedAt` when it had
 * to). Rejects with StoreUnavailable when the database cannot be reached.
 */
export async function setupSharedCredentials(
  configured: readonly Credential[],
  dataDir: string,
  share: (candidate: Credential) => Promise<Credential>,
): Promise<CredentialSetup> {
  if (configured.length > 0) return { store: new CredentialStore(configured) };
  const local = readGeneratedCredential(dataDir);
  const cred = await share(local ?? generateCredential());
  const store = new CredentialStore([{ secretId: cred.secretId, secretKey: cred.secretKey }]);
  if (local?.secretId === cred.secretId && local.secretKey === cred.secretKey) return { store };
  writeCredentialFile(dataDir, cred);
  return { store, generatedAt: credentialsPath(dataDir) };
}

export class CredentialStore {
  readonly #keys = new Map<string, string>();

  constructor(credentials: readonly Credential[]) {
    for (const c of credentials) this.#keys.set(c.secretId, c.secretKey);
  }

  /** The SecretKey of a SecretId, or undefined when the SecretId is unknown. */
  secretKey(secretId: string): string | undefined {
    return this.#keys.get(secretId);
  }

  /** The first pair (what the CLI uses against a local server). */
  first(): Credential | undefined {
    const [entry] = this.#keys.entries();
    return entry ? { secretId: entry[0], secretKey: entry[1] } : undefined;
  }
}
