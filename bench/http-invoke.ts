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

export function invoke(t: InvokeTarget): Promise<void> {
  // A different event each time: the same signed request twice in a second is refused as a replay.
  const body = JSON.stringify({
    FunctionName: t.functionName,
    ClientContext: JSON.stringify({ i: counter++ }),
  });
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
    service: 'scf',
    secretId: t.secretId,
    secretKey: t.secretKey,
  });
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
          'x-tc-action': 'Invoke',
          'x-tc-version': '2018-04-16',
          'x-tc-timestamp': String(timestamp),
          'x-tc-region': 'ap-guangzhou',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (!text.includes('"InvokeResult":0')) reject(new Error(`unexpected answer: ${text}`));
          else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
