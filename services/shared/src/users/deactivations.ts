import type { Redis } from 'ioredis';
import type { RedisKeys } from '../keys.ts';
import type { BusAccount } from '../wire/bus.ts';

/**
 * Which accounts are deactivated, as chat sees them, and the announcement of a change.
 *
 * The user service writes it after the account record (`deactivatedAt` in the UserStore, the
 * record of truth); chat reads it at every WebSocket handshake and HTTP request of an account,
 * so `has` must stay cheap: one SISMEMBER, or a Set lookup in one process. `set` is idempotent:
 * repeating a deactivation rewrites the entry and announces it again, which is how a write lost
 * to an outage (or a Redis that lost its data) is repaired.
 */
export interface Deactivations {
  has(userId: string): Promise<boolean>;
  /**
   * Records the change and announces it to every chat node (an `account` event on the control
   * channel): on a deactivation they close the account's sockets with 4403.
   */
  set(userId: string, deactivated: boolean): Promise<void>;
  ping(): Promise<void>;
}

const event = (node: string, userId: string, deactivated: boolean): BusAccount => ({ v: 1, type: 'account', node, userId, deactivated });

/**
 * The embedded engine's deactivations: one process, so the user service and every chat node in it
 * share this object; `onEvent` is its control channel (chat's in-memory bus forwards it).
 */
export class MemoryDeactivations implements Deactivations {
  private readonly ids = new Set<string>();
  private readonly listeners = new Set<(event: BusAccount) => void>();

  async has(userId: string) {
    return this.ids.has(userId);
  }

  /** `has` without the promise, for the in-memory send path (atomic as the Redis script is). */
  hasNow(userId: string) {
    return this.ids.has(userId);
  }

  async set(userId: string, deactivated: boolean) {
    if (deactivated) this.ids.add(userId);
    else this.ids.delete(userId);
    // A copy per listener stands in for the encode/decode of a real bus.
    for (const listener of this.listeners) listener(structuredClone(event('memory', userId, deactivated)));
  }

  /** Calls `listener` with every change from now on; returns the function that stops it. */
  onEvent(listener: (event: BusAccount) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async ping() {}
}

/** Deactivations as a Redis set (`keys.deactivatedUsers`), announced on `keys.controlChannel`. */
export class RedisDeactivations implements Deactivations {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly node: string;

  /** `node`: the publisher's id in the events it sends. */
  constructor(redis: Redis, keys: RedisKeys, node: string) {
    this.redis = redis;
    this.keys = keys;
    this.node = node;
  }

  async has(userId: string) {
    return (await this.redis.sismember(this.keys.deactivatedUsers, userId)) === 1;
  }

  async set(userId: string, deactivated: boolean) {
    const tx = this.redis.multi();
    if (deactivated) tx.sadd(this.keys.deactivatedUsers, userId);
    else tx.srem(this.keys.deactivatedUsers, userId);
    // Stored and announced in one transaction: a node that gets the event finds the entry.
    const results = await tx.publish(this.keys.controlChannel, JSON.stringify(event(this.node, userId, deactivated))).exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (failed) throw failed;
    if (!results) throw new Error('the deactivation transaction was aborted');
  }

  async ping() {
    await this.redis.ping();
  }
}
