import type { Redis } from 'ioredis';
import type { BlockedTerms, BusBan, BusGlobalSettings, BusHidden, BusSettings, RedisKeys, RoomSettings } from '@chatorbit/shared';
import { defaultSettings, exemptableRoles, roomRoles, type Ban, type ExemptableRole, type Hidden, type HideRequest, type ModerationStore, type RateLimit, type RoomRole } from './moderation.ts';

const isRole = (value: unknown): value is RoomRole => roomRoles.includes(value as RoomRole);

export function encodeExempt(exempt: readonly ExemptableRole[]) {
  return exempt.join(',');
}

export function decodeExempt(value: string | null | undefined): ExemptableRole[] {
  return (value ?? '').split(',').filter((r): r is ExemptableRole => exemptableRoles.includes(r as ExemptableRole));
}

/**
 * Moderation state in Redis, next to the room's other keys, where the send script reads it:
 * bans as keys with a TTL (a timeout needs no sweeper), roles and limits as hashes.
 */
export class RedisModerationStore implements ModerationStore {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly configLimit: RateLimit;

  constructor(redis: Redis, keys: RedisKeys, configLimit: RateLimit) {
    this.redis = redis;
    this.keys = keys;
    this.configLimit = configLimit;
  }

  async hidden(room: string): Promise<Hidden> {
    const [ids, upTo] = await Promise.all([this.redis.smembers(this.keys.roomDeleted(room)), this.redis.get(this.keys.roomCleared(room))]);
    return { ids: new Set(ids), upTo: Number(upTo ?? 0) };
  }

  async hide(room: string, what: HideRequest, nodeId: string) {
    const event: BusHidden = { v: 1, type: 'hidden', node: nodeId, room, ...('ids' in what ? { userId: what.userId } : what) };
    const tx = this.redis.multi();
    if ('id' in what) tx.sadd(this.keys.roomDeleted(room), what.id);
    else if ('ids' in what) {
      if (what.ids.length > 0) tx.sadd(this.keys.roomDeleted(room), ...what.ids);
    }
    // A clear supersedes the deletions before it.
    else tx.set(this.keys.roomCleared(room), what.upTo).del(this.keys.roomDeleted(room));
    await tx.publish(this.keys.roomChannel(room), JSON.stringify(event)).exec();
  }

  async ban(ban: Ban, nodeId: string) {
    const { keys } = this;
    const key = ban.room === null ? keys.globalBan(ban.userId) : keys.roomBan(ban.room, ban.userId);
    const index = ban.room === null ? keys.globalBans : keys.roomBans(ban.room);
    const channel = ban.room === null ? keys.controlChannel : keys.roomChannel(ban.room);
    const event: BusBan = { v: 1, type: 'ban', node: nodeId, room: ban.room, userId: ban.userId, until: ban.until, reason: ban.reason };
    const value = JSON.stringify(ban);
    const tx = this.redis.multi();
    if (ban.until === null) tx.set(key, value);
    else tx.set(key, value, 'PX', Math.max(1, ban.until - Date.now()));
    // Stored and announced in one transaction: no node can see the event before the key exists.
    await tx.sadd(index, ban.userId).publish(channel, JSON.stringify(event)).exec();
  }

  async unban(room: string | null, userId: string) {
    const { keys } = this;
    const [[, removed] = []] = (await this.redis
      .multi()
      .del(room === null ? keys.globalBan(userId) : keys.roomBan(room, userId))
      .srem(room === null ? keys.globalBans : keys.roomBans(room), userId)
      .exec()) ?? [];
    return removed === 1;
  }

  async banOf(room: string, userId: string) {
    const [global, local] = await this.redis.mget(this.keys.globalBan(userId), this.keys.roomBan(room, userId));
    const raw = global ?? local;
    return raw ? (JSON.parse(raw) as Ban) : undefined;
  }

  async bans(room: string | null) {
    const index = room === null ? this.keys.globalBans : this.keys.roomBans(room);
    const ids = await this.redis.smembers(index);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => (room === null ? this.keys.globalBan(id) : this.keys.roomBan(room, id))));
    const expired = ids.filter((_, i) => values[i] === null);
    if (expired.length > 0) await this.redis.srem(index, ...expired);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Ban);
  }

  async roleOf(room: string, userId: string) {
    const role = await this.redis.hget(this.keys.roomRoles(room), userId);
    return isRole(role) ? role : undefined;
  }

  async roles(room: string) {
    const all = await this.redis.hgetall(this.keys.roomRoles(room));
    return Object.entries(all).flatMap(([userId, role]) => (isRole(role) ? [{ userId, role }] : []));
  }

  async setRole(room: string, userId: string, role: RoomRole | undefined) {
    const key = this.keys.roomRoles(room);
    if (role === undefined) {
      await this.redis.hdel(key, userId);
      return;
    }
    if (role === 'owner') {
      // One owner: the previous one keeps no role.
      const previous = await this.redis.get(this.keys.roomOwner(room));
      const tx = this.redis.multi().set(this.keys.roomOwner(room), userId).hset(key, userId, 'owner');
      if (previous && previous !== userId) tx.hdel(key, previous);
      await tx.exec();
      return;
    }
    await this.redis.hset(key, userId, role);
  }

  async claimOwnership(room: string, userId: string) {
    const created = (await this.redis.set(this.keys.roomOwner(room), userId, 'NX')) === 'OK';
    if (created) await this.redis.hset(this.keys.roomRoles(room), userId, 'owner');
    const owner = created ? userId : ((await this.redis.get(this.keys.roomOwner(room))) ?? userId);
    return { owner, created };
  }

  async settings(room: string): Promise<RoomSettings> {
    const hash = await this.redis.hgetall(this.keys.roomSettings(room));
    const num = (field: 'slowModeSec' | 'slowModeUntil' | 'autoSlowModeRate' | 'autoSlowModeSec' | 'autoSlowModeForSec') =>
      hash[field] === undefined ? defaultSettings[field] : Number(hash[field]);
    return {
      slowModeSec: num('slowModeSec'),
      slowModeUntil: num('slowModeUntil'),
      autoSlowModeRate: num('autoSlowModeRate'),
      autoSlowModeSec: num('autoSlowModeSec'),
      autoSlowModeForSec: num('autoSlowModeForSec'),
      ...termsOf(hash),
    };
  }

  async claimAutoSlowMode(room: string, forMs: number) {
    return (await this.redis.set(`${this.keys.roomSettings(room)}:auto`, '1', 'PX', forMs, 'NX')) === 'OK';
  }

  async setSettings(room: string, settings: RoomSettings, nodeId: string) {
    const event: BusSettings = { v: 1, type: 'settings', node: nodeId, room, settings };
    await this.redis
      .multi()
      .hset(this.keys.roomSettings(room), {
        slowModeSec: settings.slowModeSec,
        slowModeUntil: settings.slowModeUntil,
        autoSlowModeRate: settings.autoSlowModeRate,
        autoSlowModeSec: settings.autoSlowModeSec,
        autoSlowModeForSec: settings.autoSlowModeForSec,
        blockedTerms: JSON.stringify(settings.blockedTerms),
        blockedPatterns: JSON.stringify(settings.blockedPatterns),
      })
      .publish(this.keys.roomChannel(room), JSON.stringify(event))
      .exec();
  }

  async globalSettings(): Promise<BlockedTerms> {
    return termsOf(await this.redis.hgetall(this.keys.globalSettings));
  }

  async setGlobalSettings(settings: BlockedTerms, nodeId: string) {
    const event: BusGlobalSettings = { v: 1, type: 'global_settings', node: nodeId, settings };
    await this.redis
      .multi()
      .hset(this.keys.globalSettings, { blockedTerms: JSON.stringify(settings.blockedTerms), blockedPatterns: JSON.stringify(settings.blockedPatterns) })
      .publish(this.keys.controlChannel, JSON.stringify(event))
      .exec();
  }

  async rateLimit(room: string | null) {
    const [roomLimit, defaultLimit] = await Promise.all([
      room === null ? Promise.resolve<Record<string, string>>({}) : this.redis.hgetall(this.keys.roomRateLimit(room)),
      this.redis.hgetall(this.keys.defaultRateLimit),
    ]);
    if ('messages' in roomLimit) return { limit: toLimit(roomLimit), source: 'room' as const };
    if ('messages' in defaultLimit) return { limit: toLimit(defaultLimit), source: 'default' as const };
    return { limit: this.configLimit, source: 'config' as const };
  }

  async setRateLimit(room: string | null, limit: RateLimit | undefined) {
    const key = room === null ? this.keys.defaultRateLimit : this.keys.roomRateLimit(room);
    if (!limit) {
      await this.redis.del(key);
      return;
    }
    await this.redis.multi().del(key).hset(key, { messages: limit.messages, perSec: limit.perSec, exempt: encodeExempt(limit.exempt) }).exec();
  }
}

function termsOf(hash: Record<string, string>): BlockedTerms {
  const list = (json: string | undefined) => {
    const value: unknown = json === undefined ? [] : JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  };
  return { blockedTerms: list(hash.blockedTerms), blockedPatterns: list(hash.blockedPatterns) };
}

function toLimit(hash: Record<string, string>): RateLimit {
  return { messages: Number(hash.messages), perSec: Number(hash.perSec), exempt: decodeExempt(hash.exempt) };
}
