import type { Message } from '@chatorbit/shared';
import type { RangeQuery } from '../broker/broker.ts';

/**
 * The durable log of every message.
 *
 * Contract: append is idempotent on message id (a retried batch stores one copy of each
 * message, whatever part of it was stored before); page returns a room's messages in a seq
 * range, in the query's order.
 */
/** A message as the log keeps it: `deleted` when a moderator deleted it or cleared the room. */
export type LoggedMessage = Message & { deleted?: boolean };

export interface MessageLog {
  init(): Promise<void>;
  append(messages: readonly Message[]): Promise<void>;
  /** Deleted messages included (flagged): the caller hides them, after counting. */
  page(room: string, query: RangeQuery): Promise<LoggedMessage[]>;
  find(room: string, id: string): Promise<LoggedMessage | undefined>;
  /** Soft-deletes messages by id, or every message up to a seq (a clear). Messages not written yet are not touched. */
  markDeleted(room: string, what: { ids: readonly string[] } | { upTo: number }): Promise<void>;
  /** Deletes every message accepted before `cutoff` (retention); returns how many. */
  prune(cutoff: Date): Promise<number>;
  ping(): Promise<void>;
}
