/**
 * The asynchronous invocation queue seam: every `Event` invocation (Invoke with InvocationType Event, and
 * each timer firing) is stored here durably before it is acknowledged, then run by a dispatcher, tried
 * again on failure as the function's AsyncTriggerConfig says, and its status kept for SCF's
 * ListAsyncEvents / GetAsyncEventStatus / TerminateAsyncEvent. Two backends, chosen with the store: a
 * SQLite file in the data folder (one node), or PostgreSQL tables shared by every node, claimed with
 * `FOR UPDATE SKIP LOCKED` under a lease.
 */

/** SCF's async event statuses. PENDING is scf-local's own: accepted, not started yet (SCF shows RUNNING). */
export type AsyncEventStatus = 'PENDING' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'ABORTED';

/** What started the event: `Invoke` (InvocationType Event) or a trigger type (`timer`). */
export type AsyncInvokeType = 'Invoke' | 'timer';

export interface AsyncEventInput {
  namespace: string;
  functionName: string;
  qualifier: string;
  /** The event as JSON text. */
  event: string;
  invokeType: AsyncInvokeType;
  /**
   * Identifies one occurrence (a timer firing: `timer:<ns>/<fn>/<trigger>@<epoch ms>`): a second enqueue
   * with the same key — another node firing the same timer, or the same node again after a restart — is
   * not stored, and reports `created: false`. The key is the database's claim on the occurrence.
   */
  dedupKey?: string;
}

export interface AsyncEnqueued {
  /** The event's id: the request id of its first attempt (Invoke's answer). */
  requestId: string;
  /** False when `dedupKey` was already taken (nothing stored). */
  created: boolean;
}

/** One event as ListAsyncEvents and GetAsyncEventStatus show it. */
export interface AsyncEventView {
  requestId: string;
  namespace: string;
  functionName: string;
  qualifier: string;
  invokeType: AsyncInvokeType;
  status: AsyncEventStatus;
  /** Epoch ms the event was accepted. */
  acceptedAt: number;
  /** Epoch ms its first attempt started (undefined before). */
  startTime?: number;
  /** Epoch ms its last attempt ended, once the event is final. */
  endTime?: number;
  /** retCode of the last attempt that ended (undefined before). */
  statusCode?: number;
  /** Attempts started so far (the next attempt's retryNum while pending again). */
  attempts: number;
  /** Request ids of the attempts started, in order: [0] is `requestId`. */
  attemptIds: string[];
}

/** An event claimed by this node to run its next attempt. */
export interface ClaimedEvent {
  requestId: string;
  namespace: string;
  functionName: string;
  qualifier: string;
  invokeType: AsyncInvokeType;
  event: string;
  /** This attempt's retryNum: attempts started before it. */
  attempt: number;
  /** This attempt's request id: the event's own for the first, a new one for each retry. */
  attemptId: string;
  /** The request id of the attempt before this one (none for the first). */
  previousAttemptId?: string;
  /** Epoch ms after which no attempt starts (accepted + MsgTTL). */
  expiresAt: number;
}

/** How an attempt (or the event) ended, as the dispatcher decided it. */
export type Settlement =
  /**
   * Final: FINISHED, FAILED or ABORTED, with the last attempt's retCode (absent when none ran).
   * `uncounted`: the attempt claimed did not run (the one before had ended after all): it is forgotten.
   */
  | {
      status: 'FINISHED' | 'FAILED' | 'ABORTED';
      statusCode?: number;
      endTime: number;
      uncounted?: boolean;
    }
  /** Tried again no earlier than `notBefore`; `counted`: an attempt ran (the next has the next retryNum). */
  | { status: 'PENDING'; notBefore: number; counted: boolean; statusCode?: number };

export interface AsyncEventQuery {
  namespace: string;
  functionName: string;
  qualifier?: string;
  invokeTypes?: AsyncInvokeType[];
  /** SCF's statuses; RUNNING also finds PENDING events. */
  statuses?: AsyncEventStatus[];
  requestId?: string;
  /** [start, end) of the first attempt's start, epoch ms. */
  startTime?: { start: number; end: number };
  /** [start, end) of the end, epoch ms. */
  endTime?: { start: number; end: number };
  orderBy: 'StartTime' | 'EndTime';
  order: 'ASC' | 'DESC';
  offset: number;
  limit: number;
}

/**
 * The storage of asynchronous events. Every method may reject with `StoreUnavailable` (PostgreSQL away).
 * `owner` names the node that claims (its cluster node id, or `local`).
 */
export interface AsyncQueue {
  /** Prepares the storage; events a crash left RUNNING under `owner` are made PENDING again (counted). */
  open(owner: string): Promise<void>;
  /**
   * Stores a PENDING event due at once, unless its dedupKey is taken. Refuses (`ConcurrencyLimitReached`)
   * when `maxQueued` events are already waiting or running.
   */
  enqueue(
    input: AsyncEventInput & { requestId: string },
    options: { maxQueued: number; ttlMs: number },
  ): Promise<AsyncEnqueued>;
  /**
   * Claims up to `n` due PENDING events (oldest first) — and RUNNING ones whose lease expired (their node
   * died: the attempt counts) — as RUNNING under `owner` until `now + leaseMs`, each with its next attempt's
   * request id recorded (the event's own for its first attempt, `newAttemptId()` for a retry) and its start
   * time set if it had none.
   */
  claim(
    owner: string,
    n: number,
    options: {
      now: number;
      leaseMs: number;
      newAttemptId: () => string;
    },
  ): Promise<ClaimedEvent[]>;
  /** Extends the lease of events `owner` runs; returns those flagged by `terminate` meanwhile. */
  renew(owner: string, requestIds: string[], leaseUntil: number): Promise<string[]>;
  /** Ends an attempt of a RUNNING event `owner` holds. False when it is no longer held (lease lost). */
  settle(owner: string, requestId: string, s: Settlement): Promise<boolean>;
  /** The soonest `not_before` of a PENDING event (undefined: none). */
  nextDue(): Promise<number | undefined>;
  get(requestId: string): Promise<(AsyncEventView & { terminate: boolean }) | undefined>;
  list(q: AsyncEventQuery): Promise<{ total: number; events: AsyncEventView[] }>;
  /**
   * Asks an event to stop: a PENDING one becomes ABORTED at once ('aborted'); a RUNNING one is flagged
   * ('running': the runner stops its attempt and makes it ABORTED); 'final' when it already ended.
   */
  terminate(requestId: string, now: number): Promise<'aborted' | 'running' | 'final' | 'missing'>;
  /** Deletes final events that ended before `before` (their dedup keys with them). */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}
