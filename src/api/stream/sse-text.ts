/**
 * The text of a Server-Sent Events body, parsed: one rule shared by every reader of the live tail (the
 * CLI in Node, the console in the browser). Pure, with no imports, so either can bundle it.
 */

export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * The complete messages at the front of `buffer` (each ends with a blank line) and what is left after
 * them. Comments (keep-alives) and blocks without data are skipped.
 */
export function drainSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  let rest = buffer;
  for (;;) {
    const end = rest.indexOf('\n\n');
    if (end < 0) return { messages, rest };
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const raw of block.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) messages.push({ event, id, data: data.join('\n') });
  }
}
