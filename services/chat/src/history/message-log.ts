import type { Message } from '@chatorbit/shared';

export interface PageQuery {
  /** Only messages with seq < before (exclusive); unset = from the newest. */
  before?: number;
  limit: number;
}

/**
 * The durable log of every message.
 *
 * Contract: append is idempotent on message id (a retried append stores one copy); page returns
 * a room's messages newest first, seq strictly below `before`, at most `limit`.
 */
export interface MessageLog {
  init(): Promise<void>;
  append(message: Message): Promise<void>;
  page(room: string, query: PageQuery): Promise<Message[]>;
  ping(): Promise<void>;
}
