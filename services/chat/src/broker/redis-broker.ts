import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';
import { Compile } from 'typebox/compile';
import { Message, decodeBusEvent, type RedisKeys } from '@chatorbit/shared';
import { encodeDraft, type Broker, type BusHandler, type Draft, type InvalidHandler, type RangeQuery, type SendResult } from './broker.ts';
import type { RateLimit } from '../moderation/moderation.ts';
import { encodeExempt } from '../moderation/redis-moderation.ts';

const SEND_LUA = readFileSync(new URL('./lua/send.lua', import.meta.url), 'utf8');
const messageCheck = Compile(Message);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    chatSend(
      seqKey: string, recentKey: string, persistKey: string, channel: string, nonceKey: string,
      roomBanKey: string, globalBanKey: string, roomLimitKey: string, defaultLimitKey: string, rolesKey: string, rateKey: string,
      settingsKey: string, slowKey: string, deactivatedKey: string,
      id: string, afterSeq: string, envelopePrefix: string, recentSize: number, nonceTtlSec: number,
      userId: string, privileged: '0' | '1', limitMessages: number, limitPerSec: number, limitExempt: string,
    ): Result<[number, string, number | string], Context>;
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
  /** The configured rate limit (used when neither the room nor the default is set in Redis). */
  configLimit: RateLimit;
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
  private readonly configLimit: RateLimit;
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
    this.configLimit = opts.configLimit;
    if (!this.pub.chatSend) this.pub.defineCommand('chatSend', { numberOfKeys: 14, lua: SEND_LUA });
    // Events about no single room (global bans) reach every node.
    void this.sub.subscribe(this.keys.controlChannel).catch(() => {});
    this.sub.on('message', (channel: string, payload: string) => {
      const room = channel === this.keys.controlChannel ? null : this.rooms.get(channel);
      if (room === undefined) return;
      const event = decodeBusEvent(payload);
      if (!event) {
        this.onInvalid(room);
        return;
      }
      this.handler(room, event);
    });
  }

  async send(draft: Draft): Promise<SendResult> {
    const { keys } = this;
    const { room, user } = draft;
    const { afterSeq, envelopePrefix } = encodeDraft(this.nodeId, draft);
    const limit = this.configLimit;
    const [seq, second, third] = await this.pub.chatSend(
      keys.roomSeq(room), keys.roomRecent(room), keys.persistStream, keys.roomChannel(room),
      keys.sendNonce(room, user.id, draft.nonce), keys.roomBan(room, user.id), keys.globalBan(user.id),
      keys.roomRateLimit(room), keys.defaultRateLimit, keys.roomRoles(room), keys.rateState(room, user.id),
      keys.roomSettings(room), keys.slowMode(room, user.id), keys.deactivatedUsers,
      draft.id, afterSeq, envelopePrefix, this.recentSize, this.nonceTtlSec,
      user.id, draft.privileged ? '1' : '0', limit.messages, limit.perSec, encodeExempt(limit.exempt),
    );
    if (seq === 0) {
      if (second === 'deactivated') return { refused: 'deactivated' };
      if (second === 'banned') {
        const ban = JSON.parse(String(third)) as { until: number | null; reason: string };
        return { refused: 'banned', until: ban.until, reason: ban.reason };
      }
      return { refused: second === 'slow_mode' ? 'slow_mode' : 'rate_limited', retryAfterMs: Number(third) };
    }
    if (this.replicaAcks > 0) {
      const acked = await this.pub.wait(this.replicaAcks, this.replicaAckTimeoutMs);
      if (acked < this.replicaAcks) throw new ReplicationError(acked, this.replicaAcks);
    }
    return { id: second, seq, duplicate: third === 1 };
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
