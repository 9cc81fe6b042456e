import type { BusEvent, Message, UserRef } from '@chatorbit/shared';

/** room null: an event of the control channel (about no single room). */
export type BusHandler = (room: string | null, event: BusEvent) => void;
/** Told of each payload on a channel that did not decode as a known event version. */
export type InvalidHandler = (room: string | null) => void;

/** A message as a node hands it to the broker: everything but the seq. */
export interface Draft {
  id: string;
  room: string;
  user: UserRef;
  text: string;
  ts: number;
  /** Client-chosen; the same (user, nonce) within the idempotency window is one message. */
  nonce: string;
  /** An admin's message: no ban or rate-limit check (the deactivation check still applies). */
  privileged: boolean;
  /** The send's trace context (sampled sends only), carried in the bus envelope. */
  traceparent?: string;
}

export interface Accepted {
  refused?: undefined;
  id: string;
  seq: number;
  /** True when this (user, nonce) had been accepted before: nothing new was stored or sent. */
  duplicate: boolean;
}

/**
 * A send the checks refused: nothing was stored, no seq was used. `deactivated`: an admin
 * deactivated the account (checked for admins too).
 */
export type Refused =
  | { refused: 'banned'; until: number | null; reason: string }
  | { refused: 'rate_limited' | 'slow_mode'; retryAfterMs: number }
  | { refused: 'deactivated' };

export type SendResult = Accepted | Refused;

/** A seq range of one room: seq > after and seq < before, at most `limit`, in `order`. */
export interface RangeQuery {
  after?: number;
  before?: number;
  limit: number;
  order: 'asc' | 'desc';
}

/**
 * Accepting messages, the room's recent history, and fan-out across chat nodes.
 *
 * Contract:
 * - send is atomic per room: it checks bans, slow mode and the rate limit (a refusal changes nothing), allocates the room's next seq (contiguous, never reused),
 *   appends the message to the recent history (the newest `recentSize` kept), queues it for the
 *   durable log, and publishes it, all or nothing; a (user, nonce) seen within the idempotency
 *   window returns the first send's id and seq and writes nothing;
 * - publish order per room is seq order; every node subscribed to the room receives every
 *   message, the sender's node included;
 * - a node receives a room's events only between subscribe and unsubscribe; subscribe resolves
 *   once delivery is in effect; control events (global bans) reach every node, always;
 * - recent serves a range of the recent history only: older messages are the log's.
 */
export interface Broker {
  send(draft: Draft): Promise<SendResult>;
  lastSeq(room: string): Promise<number>;
  recent(room: string, query: RangeQuery): Promise<Message[]>;
  subscribe(room: string): Promise<void>;
  unsubscribe(room: string): Promise<void>;
  onEvent(handler: BusHandler, onInvalid?: InvalidHandler): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The bus envelope and the message JSON, built so the seq can be spliced in by the broker. */
export function encodeDraft(nodeId: string, draft: Omit<Draft, 'nonce' | 'privileged'>) {
  const { id, room, user, text, ts } = draft;
  // `{"seq":N` + afterSeq is the message; JSON.stringify of this object starts with `{`, which is
  // dropped and replaced by a comma.
  const afterSeq = `,${JSON.stringify({ id, room, user, text, ts }).slice(1)}`;
  const trace = draft.traceparent ? `"traceparent":${JSON.stringify(draft.traceparent)},` : '';
  const envelopePrefix = `{"v":1,"type":"message","node":${JSON.stringify(nodeId)},${trace}"message":`;
  return { afterSeq, envelopePrefix };
}
