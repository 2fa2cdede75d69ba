/**
 * The web console's routes: its built files at `/console/` (from `dist/console`, built from `web/` by
 * `npm run build`), and its sign-in by code.
 *
 * The files hold no data and need no credentials; every data call the console makes is an API 3.0 call
 * signed with the user's key (web/src/api.ts). They are served by this small handler rather than
 * @fastify/static: a fixed set of a few files read once at start (so no URL is ever mapped to a path on
 * disk), each with its security headers; a path that is not a file (`/console/functions/default/f`) is
 * the single page, which routes in the browser.
 *
 * Sign-in by code (`scf-local console`): the CLI, which holds the key, asks `POST /console/login` (signed
 * TC3 over that path, `X-TC-Action: CreateConsoleLogin`, a single-use `Nonce` in its JSON body) for a
 * code: 32 random bytes, valid once for 60 s, kept in this process's memory only. It opens
 * `/console/?login=<code>`; the page removes the code from the address bar at once and exchanges it with
 * `POST /console/session` (`{"Code": ...}`) for the key pair it then keeps in the tab's sessionStorage. A
 * code is forgotten on first use, right or wrong, so one that reached a browser's history or a proxy's log
 * is worth nothing; request logs never show query strings anyway. No secret of the server's own is made.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScfError, toScfError } from '../../errors/index.js';
import { toWire } from '../http.js';
import { authenticate } from '../protocol/v3/auth.js';
import { v3Error } from '../protocol/v3/errors.js';
import type { ProtocolContext } from '../wire.js';

export const CONSOLE_PATH = '/console';
export const LOGIN_PATH = '/console/login';
export const SESSION_PATH = '/console/session';
export const LOGIN_ACTION = 'CreateConsoleLogin';
/** How long a sign-in code is valid. */
export const LOGIN_CODE_TTL_MS = 60_000;
/** Codes outstanding at once; the oldest is dropped beyond (a code is needed for seconds). */
const MAX_CODES = 64;

/** The built console, next to the compiled server: dist/src/api/console/ -> dist/console/. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

export interface ConsoleOptions {
  context: ProtocolContext;
  /** Where the built files are (default `DEFAULT_CONSOLE_DIR`). */
  dir?: string;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

interface StaticFile {
  body: Buffer;
  type: string;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/**
 * The page may load only its own files and talk only to this server; nothing may frame it (the key is in
 * its storage). uPlot sets element styles, hence `style-src 'unsafe-inline'`.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Every file under `dir` by its path relative to it (`index.html`, `assets/index-abc.js`); none if absent. */
function readFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    // Not built (a tsc-only build): /console says so instead of serving anything.
    return files;
  }
  for (const name of names) {
    const full = join(dir, name);
    if (!statSync(full).isFile()) continue;
    const rel = name.split('\\').join('/');
    files.set(rel, {
      body: readFileSync(full),
      type: TYPES[extname(rel)] ?? 'application/octet-stream',
      // Vite names its assets by their content hash: they never change under the same name.
      immutable: rel.startsWith('assets/'),
    });
  }
  return files;
}

function envelope(reply: FastifyReply, response: Record<string, unknown>): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'application/json')
    .header('cache-control', 'no-store')
    .send(Buffer.from(JSON.stringify({ Response: { ...response, RequestId: randomUUID() } }), 'utf8'));
}

function fail(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const e = toScfError(err);
  const error = v3Error(e);
  req.apiLog = { code: error.Code };
  return envelope(reply, { Error: { ...error } });
}

/** Registers `/console/*`, `POST /console/login` and `POST /console/session`. */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions): void {
  const files = readFiles(options.dir ?? DEFAULT_CONSOLE_DIR);
  const now = options.now ?? Date.now;
  /** Outstanding sign-in codes: code -> the SecretId that asked for it, and until when it is valid. */
  const codes = new Map<string, { secretId: string; expires: number }>();

  /** The file at `rel`, or 404 (undefined: a name that is not one of the console's files). */
  const sendFile = (reply: FastifyReply, rel: string | undefined): FastifyReply => {
    const file = rel === undefined ? undefined : files.get(rel);
    if (!file) {
      return reply
        .code(404)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(
          files.size === 0 ? 'The console is not built here (npm run build builds it).\n' : 'Not found.\n',
        );
    }
    return reply
      .code(200)
      .headers(SECURITY_HEADERS)
      .header('content-type', file.type)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(file.body);
  };

  app.get(CONSOLE_PATH, (_req, reply) => reply.redirect(`${CONSOLE_PATH}/`, 302));
  app.get(`${CONSOLE_PATH}/*`, (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    if (files.has(rel)) return sendFile(reply, rel);
    // A view's address (no file extension) is the single page; anything else is a missing file.
    return sendFile(reply, /\.[a-z0-9]+$/i.test(rel) ? undefined : 'index.html');
  });

  app.post(LOGIN_PATH, (req, reply) => {
    try {
      const call = authenticate(toWire(req), options.context);
      if (call.action !== LOGIN_ACTION) {
        throw new ScfError('InvalidAction', `X-TC-Action must be ${LOGIN_ACTION} on ${LOGIN_PATH}`);
      }
      const nonce = call.params['Nonce'];
      if (typeof nonce !== 'string' || nonce === '') {
        throw new ScfError('MissingParameter', 'Nonce is required: every sign-in request is signed afresh', {
          field: 'Nonce',
        });
      }
      options.context.replay.useNonce(
        call.secretId,
        `console/${req.headers['x-tc-timestamp'] ?? ''}/${nonce}`,
      );
      const t = now();
      for (const [c, v] of codes) if (v.expires <= t) codes.delete(c);
      while (codes.size >= MAX_CODES) codes.delete(codes.keys().next().value!);
      const code = randomBytes(32).toString('base64url');
      codes.set(code, { secretId: call.secretId, expires: t + LOGIN_CODE_TTL_MS });
      req.apiLog = { action: LOGIN_ACTION };
      return envelope(reply, { Code: code, ExpiresInSeconds: LOGIN_CODE_TTL_MS / 1000 });
    } catch (err) {
      return fail(req, reply, err);
    }
  });

  app.post(SESSION_PATH, (req, reply) => {
    try {
      let code: unknown;
      try {
        code = (
          JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}') as { Code?: unknown }
        ).Code;
      } catch (err) {
        throw new ScfError('InvalidParameter', 'The request body is not valid JSON.', { cause: err });
      }
      if (typeof code !== 'string' || code === '') {
        throw new ScfError('MissingParameter', 'Code is required', { field: 'Code' });
      }
      const entry = codes.get(code);
      // Single use: forgotten at the first attempt, whatever comes of it.
      codes.delete(code);
      if (!entry || entry.expires <= now()) {
        throw new ScfError(
          'InvalidAuthorization',
          'This sign-in code is unknown, used or expired; run `scf-local console` again, or sign in with your key.',
        );
      }
      const secretKey = options.context.credentials.secretKey(entry.secretId);
      if (secretKey === undefined) {
        throw new ScfError(
          'SecretIdNotFound',
          'The SecretId is not found, please ensure that your SecretId is correct.',
        );
      }
      return envelope(reply, { SecretId: entry.secretId, SecretKey: secretKey });
    } catch (err) {
      return fail(req, reply, err);
    }
  });
}
