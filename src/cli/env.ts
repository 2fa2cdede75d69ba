/**
 * The CLI's environment, read once, here and nowhere else in `src/cli`. The conventions keep
 * `process.env` reads in `src/config/`, whose schema describes the *server*; the CLI is a separate client
 * program whose settings (where the server is, which key to sign with, whether to colour) are not server
 * config, and a strict server schema would reject them. So the client reads its few variables in this one
 * module, at start-up, into a frozen object that is passed down explicitly (tests pass their own).
 */

export interface CliEnvironment {
  /** SCF_LOCAL_ENDPOINT: default for --endpoint. */
  readonly endpoint: string | undefined;
  /** SCF_LOCAL_SECRET_ID / SCF_LOCAL_SECRET_KEY: default for --secret-id/--secret-key (the server reads them too). */
  readonly secretId: string | undefined;
  readonly secretKey: string | undefined;
  /** SCF_LOCAL_DATA_DIR: where the local server's generated credentials are (the server reads it too). */
  readonly dataDir: string | undefined;
  /** NO_COLOR (https://no-color.org): any non-empty value disables colour. */
  readonly noColor: boolean;
  /** BROWSER: the command `scf-local console` opens its address with (else the system's opener). */
  readonly browser?: string | undefined;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function readCliEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  return Object.freeze({
    endpoint: nonEmpty(env['SCF_LOCAL_ENDPOINT']),
    secretId: nonEmpty(env['SCF_LOCAL_SECRET_ID']),
    secretKey: nonEmpty(env['SCF_LOCAL_SECRET_KEY']),
    dataDir: nonEmpty(env['SCF_LOCAL_DATA_DIR']),
    noColor: nonEmpty(env['NO_COLOR']) !== undefined,
    browser: nonEmpty(env['BROWSER']),
  });
}
