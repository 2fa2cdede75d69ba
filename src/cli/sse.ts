/** A minimal Server-Sent Events reader for the live-tail stream (the frames `api/stream` writes). */
import type { Readable } from 'node:stream';
import { drainSse, type SseMessage } from '../api/stream/sse-text.js';

export type { SseMessage } from '../api/stream/sse-text.js';

/** Yields each complete message of an SSE body; comments (keep-alives) are skipped. */
export async function* readSse(body: Readable): AsyncGenerator<SseMessage> {
  let buffer = '';
  body.setEncoding('utf8');
  for await (const chunk of body as AsyncIterable<string>) {
    const { messages, rest } = drainSse(buffer + chunk);
    buffer = rest;
    yield* messages;
  }
}
