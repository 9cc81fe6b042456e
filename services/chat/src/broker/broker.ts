import type { BusEvent } from '@chatorbit/shared';

export type BusHandler = (room: string, event: BusEvent) => void;
/** Told of each payload on a room's channel that did not decode as a known event version. */
export type InvalidHandler = (room: string) => void;

/**
 * Fan-out across chat nodes, and the per-room seq counter.
 *
 * Contract:
 * - nextSeq allocates the room's next seq: strictly increasing, never handed out twice, across
 *   every node sharing the broker;
 * - publish delivers the event to every node subscribed to the room, the publisher included,
 *   in publish order per room;
 * - a node receives a room's events only between subscribe and unsubscribe; subscribe resolves
 *   once delivery is in effect;
 * - the handler is called for each event; events that fail to decode are dropped and counted,
 *   never passed on.
 */
export interface Broker {
  nextSeq(room: string): Promise<number>;
  lastSeq(room: string): Promise<number>;
  publish(room: string, event: BusEvent): Promise<void>;
  subscribe(room: string): Promise<void>;
  unsubscribe(room: string): Promise<void>;
  onEvent(handler: BusHandler, onInvalid?: InvalidHandler): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
