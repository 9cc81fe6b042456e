import type { Redis } from 'ioredis';
import { decodeBusEvent, type BusEvent, type RedisKeys } from '@chatorbit/shared';
import type { Broker, BusHandler, InvalidHandler } from './broker.ts';

export interface RedisBrokerOptions {
  /** Commands: INCR, GET, PUBLISH. */
  pub: Redis;
  /** A connection of its own, in subscriber mode. */
  sub: Redis;
  keys: RedisKeys;
}

/**
 * Fan-out over Redis pub/sub, one channel per room; this node subscribes only to rooms it has
 * members in. SUBSCRIBE/UNSUBSCRIBE go over one connection in order, so an unsubscribe followed
 * by a subscribe of the same room leaves the node subscribed.
 */
export class RedisBroker implements Broker {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly keys: RedisKeys;
  private readonly rooms = new Map<string, string>(); // channel → room
  private handler: BusHandler = () => {};
  private onInvalid: InvalidHandler = () => {};

  constructor(opts: RedisBrokerOptions) {
    this.pub = opts.pub;
    this.sub = opts.sub;
    this.keys = opts.keys;
    this.sub.on('message', (channel: string, payload: string) => {
      const room = this.rooms.get(channel);
      if (room === undefined) return;
      const event = decodeBusEvent(payload);
      if (!event) {
        this.onInvalid(room);
        return;
      }
      this.handler(room, event);
    });
  }

  nextSeq(room: string) {
    return this.pub.incr(this.keys.roomSeq(room));
  }

  async lastSeq(room: string) {
    return Number((await this.pub.get(this.keys.roomSeq(room))) ?? 0);
  }

  async publish(room: string, event: BusEvent) {
    await this.pub.publish(this.keys.roomChannel(room), JSON.stringify(event));
  }

  async subscribe(room: string) {
    const channel = this.keys.roomChannel(room);
    this.rooms.set(channel, room);
    await this.sub.subscribe(channel);
  }

  async unsubscribe(room: string) {
    const channel = this.keys.roomChannel(room);
    this.rooms.delete(channel);
    await this.sub.unsubscribe(channel);
  }

  onEvent(handler: BusHandler, onInvalid?: InvalidHandler) {
    this.handler = handler;
    if (onInvalid) this.onInvalid = onInvalid;
  }

  async ping() {
    await Promise.all([this.pub.ping(), this.sub.ping()]);
  }

  async close() {
    this.rooms.clear();
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}
