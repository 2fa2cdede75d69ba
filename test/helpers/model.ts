/**
 * A plain in-memory model of the LogStore's read/write semantics (array filter + sort + slice), against
 * which the conformance suite's property tests compare a real backend. Deliberately naive.
 */
import { matchKeyword, parseKeyword } from '../../src/store/keyword.js';
import { searchText } from '../../src/store/search-text.js';
import type {
  InvocationRecord,
  LogPage,
  LogQuery,
  RetCodeFilter,
  StoredRecord,
  WriteOp,
} from '../../src/store/types.js';

const RET_CLASS: Record<RetCodeFilter, (c: number) => boolean> = {
  is0: (c) => c === 0,
  not0: (c) => c !== 0,
  TimeLimitExceeded: (c) => c === 433,
  ResourceLimitExceeded: (c) => c === 434,
  UserCodeException: (c) => c === 430,
};

/** Strings compare by Unicode code point (= UTF-8 byte order, SQLite's BINARY collation). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareField(a: StoredRecord, b: StoredRecord, q: LogQuery): number {
  switch (q.orderBy) {
    case 'functionName':
      return compareCodePoints(a.functionName, b.functionName);
    case 'requestId':
      return compareCodePoints(a.requestId, b.requestId);
    default:
      return a[q.orderBy] - b[q.orderBy];
  }
}

export class LogModel {
  readonly records = new Map<string, StoredRecord>();
  #seq = 0;

  write(batch: readonly WriteOp[]): void {
    for (const op of batch) {
      if (op.op === 'appendLog') {
        const r = this.records.get(op.requestId);
        if (r) r.log += op.text;
        continue;
      }
      const rec: InvocationRecord =
        op.op === 'finish'
          ? op.record
          : {
              duration: 0,
              billDuration: 0,
              memUsage: 0,
              retMsg: '',
              ...op.record,
              retCode: 2,
              invokeFinished: 0,
            };
      const prev = this.records.get(rec.requestId);
      this.records.set(rec.requestId, { ...rec, seq: prev ? prev.seq : ++this.#seq });
    }
  }

  recoverInterrupted(): number {
    let n = 0;
    for (const r of this.records.values()) {
      if (r.retCode === 2) {
        r.retCode = 3;
        r.invokeFinished = 0;
        n++;
      }
    }
    return n;
  }

  query(q: LogQuery): LogPage {
    const terms = q.keyword === undefined ? [] : parseKeyword(q.keyword);
    const matching = [...this.records.values()].filter(
      (r) =>
        (q.namespace === undefined || r.namespace === q.namespace) &&
        (q.functionName === undefined || r.functionName === q.functionName) &&
        (q.qualifier === undefined || r.qualifier === q.qualifier) &&
        (q.requestId === undefined || r.requestId === q.requestId) &&
        (q.startTimeFrom === undefined || r.startTime >= q.startTimeFrom) &&
        (q.startTimeTo === undefined || r.startTime <= q.startTimeTo) &&
        (q.retCode === undefined || RET_CLASS[q.retCode](r.retCode)) &&
        matchKeyword(searchText(r.log), terms),
    );
    const dir = q.order === 'asc' ? 1 : -1;
    matching.sort((a, b) => dir * (compareField(a, b, q) || a.seq - b.seq));
    return {
      total: matching.length,
      items: matching.slice(q.offset, q.offset + q.limit).map((r) => ({ ...r })),
    };
  }
}
