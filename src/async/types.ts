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
