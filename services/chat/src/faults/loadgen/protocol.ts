// The messages between the fault runner and its load-generator processes (IPC, JSON).

/** A socket that joins `room` on node `node` and checks every seq it is given. */
export interface ViewerSpec {
  node: number;
  room: string;
  token: string;
}

/** A socket that posts to `room` at `rate` messages/s (open loop) and retries until acknowledged. */
export interface PublisherSpec {
  node: number;
  room: string;
  token: string;
  /** Goes into every nonce and text: `<name>-<k>`. */
  name: string;
  rate: number;
  /** Appended to every text (to make messages bigger). */
  pad?: string;
}

export type Command =
  /** The chat nodes' WebSocket URLs (index = node); sockets reconnect to another one of them. */
  | { cmd: 'init'; urls: string[]; reconnectJitterMs?: number }
  | { cmd: 'viewers'; specs: ViewerSpec[] }
  | { cmd: 'publishers'; specs: PublisherSpec[] }
  /** Starts or stops making new messages (retries of unacknowledged ones go on regardless). */
  | { cmd: 'publish'; on: boolean }
  /** Stops or resumes reading the sockets of these viewers (indexes in creation order). */
  | { cmd: 'reading'; viewers: number[]; on: boolean }
  /** Every second, `perSec` random viewers leave and join again (new sockets, fresh joins); 0 stops. */
  | { cmd: 'churn'; perSec: number }
  | { cmd: 'report'; acks?: boolean }
  | { cmd: 'close' };

export type Request = Command & { id: number };
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type Counts = Record<string, number>;

export interface ViewersReport {
  total: number;
  /** Sockets open and joined right now. */
  joined: number;
  /** Messages received (history replayed on resume included). */
  received: number;
  /** Seqs never received: a jump forward in a socket's sequence (or a resume that was not recovered). */
  gaps: number;
  /** A seq received twice with the same message id (or an id too old to tell). */
  duplicates: number;
  /** A seq received again with another message id: the room's seq went back (a lost write). */
  seqReused: number;
  /** Resumes answered `recovered: false`. */
  unrecovered: number;
  /** `error` frames, by code. */
  errorFrames: Counts;
  /** Closes of a joined socket not asked by the viewer, by close code. */
  closes: Counts;
  /** Connection attempts that failed (refused, 503, closed before joining). */
  connectFailures: number;
  resumes: number;
  /** When the latest resume was answered (epoch ms; 0 if none). */
  lastResumeAt: number;
  /** Per room: the lowest and highest last seq over its viewers. */
  rooms: Record<string, { minLast: number; maxLast: number }>;
  /** Viewers whose reading is paused. */
  paused: number;
  /** Viewers that left and joined again on purpose (churn). */
  churned: number;
}

/** [nonce, message id, room, seq, acknowledged at (epoch ms)] */
export type Ack = [string, string, string, number, number];

export interface PublishersReport {
  total: number;
  /** Sockets open and joined right now. */
  joined: number;
  /** Messages made (each with its own nonce). */
  sent: number;
  acked: number;
  /** Made but not acknowledged yet. */
  outstanding: number;
  /** Sends repeated with the same nonce (after an error, a reconnect, or 5 s without an answer). */
  resends: number;
  /** An ack for a nonce already acknowledged (a resend answered twice: expected, harmless). */
  repeatedAcks: number;
  /** The same nonce acknowledged with two different message ids: stored twice. */
  conflictingAcks: number;
  errorFrames: Counts;
  closes: Counts;
  connectFailures: number;
  /** Per room: the highest acknowledged seq. */
  rooms: Record<string, { maxSeq: number }>;
  acks?: Ack[];
}

export interface Report {
  viewers: ViewersReport;
  publishers: PublishersReport;
}
