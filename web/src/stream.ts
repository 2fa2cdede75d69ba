/**
 * The live tail in the browser: `GET /stream/logs`, signed (api.ts), read with fetch streaming since
 * EventSource cannot send the signature's headers. It keeps the cursor of the last event it handled and,
 * when the connection drops (or the server ends it with `overflow`), reconnects with that cursor, signed
 * afresh, so no event is lost or repeated. A `gap` frame (the server restarted, or the console fell too far
 * behind) is reported: what happened in between is in the invocation list.
 */
import { drainSse, type SseMessage } from '../../src/api/stream/sse-text.js';
import type { Api } from './api.js';

/** The stream's record: scf-local's canonical shape (camelCase, epoch ms). */
export interface StreamRecord {
  requestId: string;
  functionName: string;
  namespace: string;
  qualifier?: string;
  startTime: number;
  duration: number;
  billDuration: number;
  memUsage: number;
  retCode: number;
  retMsg: string;
  invokeFinished: number;
  log: string;
}

export type TailEvent =
  | { type: 'ready' }
  | { type: 'gap'; reason: string }
  | { type: 'start' | 'end'; record: StreamRecord }
  | { type: 'log'; requestId: string; text: string }
  | { type: 'reconnecting'; error: string };

async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const { messages, rest } = drainSse(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    yield* messages;
  }
}

/**
 * Follows one function until `signal` aborts, calling `onEvent` for each event in order. Rejects only on
 * a coded refusal (wrong credentials, unknown parameter); a dropped connection is retried.
 */
export async function follow(
  api: Api,
  target: { functionName: string; namespace: string; qualifier?: string },
  onEvent: (e: TailEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let cursor: string | undefined;
  let delay = 250;
  while (!signal.aborted) {
    try {
      const res = await api.openStream({ ...target, ...(cursor ? { cursor } : {}) }, signal);
      delay = 250;
      for await (const m of readSse(res.body!)) {
        const data = JSON.parse(m.data) as Record<string, unknown>;
        switch (m.event) {
          case 'ready':
            if (cursor === undefined) cursor = String(data['cursor']);
            onEvent({ type: 'ready' });
            break;
          case 'gap':
            cursor = String(data['cursor']);
            onEvent({ type: 'gap', reason: String(data['reason']) });
            break;
          case 'start':
          case 'end':
            onEvent({ type: m.event, record: data['record'] as StreamRecord });
            break;
          case 'log':
            onEvent({ type: 'log', requestId: String(data['requestId']), text: String(data['text']) });
            break;
          case 'overflow':
          case 'close':
            cursor = String(data['cursor'] || cursor || '');
            break;
        }
        if (m.id !== undefined) cursor = m.id;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (
        (err as { code?: string }).code !== undefined &&
        (err as { code: string }).code !== 'ServerUnreachable'
      ) {
        throw err;
      }
      onEvent({ type: 'reconnecting', error: (err as Error).message });
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}
