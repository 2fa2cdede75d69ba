/**
 * One TC3-signed API 3.0 Invoke of a warm no-op over a kept-alive connection, for the invoke benchmarks
 * (`api-invoke.ts`, `cluster-invoke.ts`): resolves when the answer is read, rejects unless it is a success.
 */
import { type Agent, request } from 'node:http';
import { signTc3 } from '../src/cli/tc3.js';

export interface InvokeTarget {
  port: number;
  agent: Agent;
  secretId: string;
  secretKey: string;
  functionName: string;
}

let counter = 0;

/**
 * One TC3-signed API 3.0 call over `agent`'s kept-alive connections; resolves with the answer's text and
 * its latency (ms, from sending to the answer read).
 */
export function signedCall(
  t: { port: number; agent: Agent; secretId: string; secretKey: string },
  action: string,
  params: unknown,
  o: { version: string; service: string },
): Promise<{ text: string; ms: number }> {
  const body = JSON.stringify(params);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: `127.0.0.1:${t.port}`,
  };
  const { authorization } = signTc3({
    method: 'POST',
    path: '/',
    query: '',
    headers,
    body,
    timestamp,
    service: o.service,
    secretId: t.secretId,
    secretKey: t.secretKey,
  });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.port,
        method: 'POST',
        path: '/',
        agent: t.agent,
        headers: {
          ...headers,
          authorization,
          'content-length': Buffer.byteLength(body),
          'x-tc-action': action,
          'x-tc-version': o.version,
          'x-tc-timestamp': String(timestamp),
          'x-tc-region': 'ap-guangzhou',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function invoke(t: InvokeTarget): Promise<void> {
  // A different event each time: the same signed request twice in a second is refused as a replay.
  const { text } = await signedCall(
    t,
    'Invoke',
    { FunctionName: t.functionName, ClientContext: JSON.stringify({ i: counter++ }) },
    { version: '2018-04-16', service: 'scf' },
  );
  if (!text.includes('"InvokeResult":0')) throw new Error(`unexpected answer: ${text}`);
}
