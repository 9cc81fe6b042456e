import type { Message } from '@chatorbit/shared';
import type { RangeQuery } from '../broker/broker.ts';

/**
 * The durable log of every message.
 *
 * Contract: append is idempotent on message id (a retried batch stores one copy of each
 * message, whatever part of it was stored before); page returns a room's messages in a seq
 * range, in the query's order.
 */
export interface MessageLog {
  init(): Promise<void>;
  append(messages: readonly Message[]): Promise<void>;
  page(room: string, query: RangeQuery): Promise<Message[]>;
  /** Deletes every message accepted before `cutoff` (retention); returns how many. */
  prune(cutoff: Date): Promise<number>;
  ping(): Promise<void>;
}
