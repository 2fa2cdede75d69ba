/**
 * Helpers of the API security tests: a platform in a child process (its RSS is the server's alone) and a
 * client that streams a large body without holding it, reading the answer the server sends while it
 * is still sending.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServerChild {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export async function startServerChild(dataDir: string, config: object = {}): Promise<ServerChild> {
  const child = spawn(
    process.execPath,
    [`${repo}dist/test/helpers/api-server-child.js`, dataDir, JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server child exited with ${code} before listening`)));
  });
  return {
    child,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** VmRSS and VmHWM (peak) of a process, in bytes (Linux). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export interface StreamedPost {
  /** The answer's body, when one arrived ('' when the connection was cut before any answer). */
  body: string;
  /** Body bytes written before the answer came or the connection closed. */
  sent: number;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * POSTs `size` bytes (a repeated chunk, never held whole) to `path` with the given headers and
 * Content-Length, stopping as soon as the server answers or closes the connection.
 */
export function streamPost(
  port: number,
  path: string,
  headers: Record<string, string>,
  size: number,
  options: { chunked?: boolean; prefix?: string } = {},
): Promise<StreamedPost> {
  return new Promise((resolve) => {
    let sent = 0;
    let done = false;
    let body = '';
    const finish = (): void => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ body, sent });
    };
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: options.chunked ? headers : { ...headers, 'content-length': String(size) },
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', () => setTimeout(finish, 50));
    req.on('close', () => setTimeout(finish, 50));
    const prefix = Buffer.from(options.prefix ?? '');
    const write = (): void => {
      while (!done && sent < size) {
        const piece =
          sent === 0 && prefix.length > 0 ? prefix : CHUNK.subarray(0, Math.min(CHUNK.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      if (!done && sent >= size) req.end();
    };
    write();
  });
}
