/**
 * Reading the child's frames (protocol.ts) from its frame pipe: NDJSON split into lines, each line checked
 * on receipt. A line longer than any honest frame (the largest is a 6 MB result, escaped) is a protocol
 * fault, so a function writing garbage to fd 3 cannot grow the server's memory.
 */
import { type ChildFrame, parseChildFrame } from './protocol.js';

/** Longest frame line accepted: a result at SCF's 6 MB cap, JSON-escaped twice at worst, plus room. */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;

export class FrameReader {
  #tail = '';
  readonly #onFrame: (frame: ChildFrame) => void;
  readonly #onFault: (why: string) => void;

  constructor(onFrame: (frame: ChildFrame) => void, onFault: (why: string) => void) {
    this.#onFrame = onFrame;
    this.#onFault = onFault;
  }

  push(chunk: string): void {
    const buf = this.#tail + chunk;
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      const line = buf.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) continue;
      const frame = parseChildFrame(line);
      if (frame) this.#onFrame(frame);
      else this.#onFault('malformed frame');
    }
    this.#tail = buf.slice(start);
    if (this.#tail.length > MAX_FRAME_CHARS) {
      this.#tail = '';
      this.#onFault('frame too long');
    }
  }
}
