import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';
import { Compile } from 'typebox/compile';
import { Message, decodeBusEvent, type RedisKeys } from '@chatorbit/shared';
import { encodeDraft, type Accepted, type Broker, type BusHandler, type Draft, type InvalidHandler, type RangeQuery } from './broker.ts';

const SEND_LUA = readFileSync(new URL('./lua/send.lua', import.meta.url), 'utf8');
const messageCheck = Compile(Message);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    chatSend(
      seqKey: string, recentKey: string, persistKey: string, channel: string, nonceKey: string,
      id: string, afterSeq: string, envelopePrefix: string, recentSize: number, nonceTtlSec: number,
    ): Result<[number, string, number], Context>;
  }
}

export interface RedisBrokerOptions {
  /** Commands: the send script, XRANGE, GET. Auto-pipelined. */
  pub: Redis;
  /** A connection of its own, in subscriber mode. */
  sub: Redis;
  keys: RedisKeys;
  nodeId: string;
  /** How many messages each room's recent history keeps (approximately: trimmed with `~`). */
  recentSize?: number;
  /** How long a (user, nonce) is remembered, in seconds. */
  nonceTtlSec?: number;
  /** Acknowledge a send only once this many replicas have it (WAIT); 0 = don't wait. */
  replicaAcks?: number;
  replicaAckTimeoutMs?: number;
}

/** Thrown when WAIT saw fewer replicas than required: the message may be lost in a failover. */
export class ReplicationError extends Error {
  constructor(acked: number, wanted: number) {
    super(`only ${acked} of ${wanted} replicas acknowledged the write`);
    this.name = 'ReplicationError';
  }
}

/**
 * Sends in one round trip (the send.lua script, by SHA: ioredis loads it once per connection),
 * recent history in a stream per room, fan-out over pub/sub with one channel per room; this
 * node subscribes only to rooms it has members in. SUBSCRIBE/UNSUBSCRIBE go over one connection
 * in order, so an unsubscribe followed by a subscribe of the same room leaves it subscribed.
 */
export class RedisBroker implements Broker {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly keys: RedisKeys;
  private readonly nodeId: string;
  private readonly recentSize: number;
  private readonly nonceTtlSec: number;
  private readonly replicaAcks: number;
  private readonly replicaAckTimeoutMs: number;
  private readonly rooms = new Map<string, string>(); // channel → room
  private handler: BusHandler = () => {};
  private onInvalid: InvalidHandler = () => {};

  constructor(opts: RedisBrokerOptions) {
    this.pub = opts.pub;
    this.sub = opts.sub;
    this.keys = opts.keys;
    this.nodeId = opts.nodeId;
    this.recentSize = opts.recentSize ?? 1000;
    this.nonceTtlSec = opts.nonceTtlSec ?? 300;
    this.replicaAcks = opts.replicaAcks ?? 0;
    this.replicaAckTimeoutMs = opts.replicaAckTimeoutMs ?? 1000;
    if (!this.pub.chatSend) this.pub.defineCommand('chatSend', { numberOfKeys: 5, lua: SEND_LUA });
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

  async send(draft: Draft): Promise<Accepted> {
    const { keys } = this;
    const { afterSeq, envelopePrefix } = encodeDraft(this.nodeId, draft);
    const [seq, id, duplicate] = await this.pub.chatSend(
      keys.roomSeq(draft.room), keys.roomRecent(draft.room), keys.persistStream, keys.roomChannel(draft.room),
      keys.sendNonce(draft.room, draft.user.id, draft.nonce),
      draft.id, afterSeq, envelopePrefix, this.recentSize, this.nonceTtlSec,
    );
    if (this.replicaAcks > 0) {
      const acked = await this.pub.wait(this.replicaAcks, this.replicaAckTimeoutMs);
      if (acked < this.replicaAcks) throw new ReplicationError(acked, this.replicaAcks);
    }
    return { id, seq, duplicate: duplicate === 1 };
  }

  async lastSeq(room: string) {
    return Number((await this.pub.get(this.keys.roomSeq(room))) ?? 0);
  }

  async recent(room: string, { after, before, limit, order }: RangeQuery) {
    // Entry ids are `<seq>-0`; `(` makes a bound exclusive.
    const low = after === undefined ? '-' : `(${after}-0`;
    const high = before === undefined ? '+' : `(${before}-0`;
    const key = this.keys.roomRecent(room);
    const entries = order === 'asc'
      ? await this.pub.xrange(key, low, high, 'COUNT', limit)
      : await this.pub.xrevrange(key, high, low, 'COUNT', limit);
    const messages: Message[] = [];
    for (const [, fields] of entries) {
      const value: unknown = JSON.parse(fields[1] ?? 'null');
      if (messageCheck.Check(value)) messages.push(value);
    }
    return messages;
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
