import type { EventEmitter } from 'node:events';
import type { BlockedTerms, BusBan, BusGlobalSettings, BusHidden, BusSettings, RoomSettings } from '@chatorbit/shared';
import { defaultSettings, slowModeOn, type Ban, type Hidden, type HideRequest, type ModerationStore, type RateLimit, type RoomRole } from './moderation.ts';
import { gcra } from './gcra.ts';
import { CONTROL } from '../broker/memory-control.ts';

/** The embedded engine's moderation state, shared by the nodes of one MemoryBus. */
export class MemoryModeration {
  readonly bans = new Map<string, Ban>(); // `${room ?? ''}\n${userId}` → ban
  readonly roles = new Map<string, Map<string, RoomRole>>();
  readonly owners = new Map<string, string>();
  readonly limits = new Map<string | null, RateLimit>(); // room (null: the default) → limit
  readonly rateState = new Map<string, number>(); // `${room}\n${userId}` → theoretical arrival time
  readonly settings = new Map<string, RoomSettings>();
  globalTerms: BlockedTerms = { blockedTerms: [], blockedPatterns: [] };
  readonly deleted = new Map<string, Set<string>>();
  readonly clearedUpTo = new Map<string, number>();
  readonly autoClaims = new Map<string, number>();
  readonly slowUntil = new Map<string, number>(); // `${room}\n${userId}` → when the user may post again
  readonly configLimit: RateLimit;

  constructor(configLimit: RateLimit) {
    this.configLimit = configLimit;
  }

  activeBan(room: string | null, userId: string, now = Date.now()): Ban | undefined {
    const key = `${room ?? ''}\n${userId}`;
    const ban = this.bans.get(key);
    if (ban && ban.until !== null && ban.until <= now) {
      this.bans.delete(key);
      return undefined;
    }
    return ban;
  }

  limitOf(room: string | null) {
    const own = room === null ? undefined : this.limits.get(room);
    if (own) return { limit: own, source: 'room' as const };
    const fallback = this.limits.get(null);
    return fallback ? { limit: fallback, source: 'default' as const } : { limit: this.configLimit, source: 'config' as const };
  }

  /** The send script's checks, for the embedded engine: a refusal, or undefined to accept. */
  check(room: string, userId: string, privileged: boolean, now = Date.now()) {
    if (privileged) return undefined;
    const ban = this.activeBan(null, userId, now) ?? this.activeBan(room, userId, now);
    if (ban) return { refused: 'banned' as const, until: ban.until, reason: ban.reason };
    const role = this.roles.get(room)?.get(userId);
    const asRole = role === 'owner' ? 'moderator' : role;
    const key = `${room}\n${userId}`;
    const settings = this.settings.get(room);
    const slow = settings && slowModeOn(settings, now) ? settings.slowModeSec : 0;
    const slowed = slow > 0 && asRole !== 'moderator';
    const wait = (this.slowUntil.get(key) ?? 0) - now;
    if (slowed && wait > 0) return { refused: 'slow_mode' as const, retryAfterMs: wait };
    const { limit } = this.limitOf(room);
    if (limit.messages > 0 && !(asRole && limit.exempt.includes(asRole))) {
      const result = gcra(this.rateState.get(key), now, limit);
      if (!result.allowed) return { refused: 'rate_limited' as const, retryAfterMs: result.retryAfterMs };
      this.rateState.set(key, result.tat);
    }
    if (slowed) this.slowUntil.set(key, now + slow * 1000);
    return undefined;
  }
}

export class MemoryModerationStore implements ModerationStore {
  private readonly state: MemoryModeration;
  private readonly channels: EventEmitter;

  constructor(state: MemoryModeration, channels: EventEmitter) {
    this.state = state;
    this.channels = channels;
  }

  async hidden(room: string): Promise<Hidden> {
    return { ids: new Set(this.state.deleted.get(room)), upTo: this.state.clearedUpTo.get(room) ?? 0 };
  }

  async hide(room: string, what: HideRequest, nodeId: string) {
    if ('id' in what || 'ids' in what) {
      let ids = this.state.deleted.get(room);
      if (!ids) this.state.deleted.set(room, (ids = new Set()));
      for (const id of 'id' in what ? [what.id] : what.ids) ids.add(id);
    } else {
      this.state.clearedUpTo.set(room, what.upTo);
      this.state.deleted.delete(room);
    }
    const event: BusHidden = { v: 1, type: 'hidden', node: nodeId, room, ...('ids' in what ? { userId: what.userId } : what) };
    this.channels.emit(room, event);
  }

  async ban(ban: Ban, nodeId: string) {
    this.state.bans.set(`${ban.room ?? ''}\n${ban.userId}`, structuredClone(ban));
    const event: BusBan = { v: 1, type: 'ban', node: nodeId, room: ban.room, userId: ban.userId, until: ban.until, reason: ban.reason };
    this.channels.emit(ban.room ?? CONTROL, event);
  }

  async unban(room: string | null, userId: string) {
    return this.state.bans.delete(`${room ?? ''}\n${userId}`);
  }

  async banOf(room: string, userId: string) {
    return structuredClone(this.state.activeBan(null, userId) ?? this.state.activeBan(room, userId));
  }

  async bans(room: string | null) {
    const now = Date.now();
    return [...this.state.bans.values()]
      .filter((b) => b.room === room && this.state.activeBan(room, b.userId, now))
      .map((b) => structuredClone(b));
  }

  async roleOf(room: string, userId: string) {
    return this.state.roles.get(room)?.get(userId);
  }

  async roles(room: string) {
    return [...(this.state.roles.get(room) ?? new Map<string, RoomRole>())].map(([userId, role]) => ({ userId, role }));
  }

  async setRole(room: string, userId: string, role: RoomRole | undefined) {
    let roles = this.state.roles.get(room);
    if (!roles) this.state.roles.set(room, (roles = new Map()));
    if (role === undefined) {
      roles.delete(userId);
      return;
    }
    if (role === 'owner') {
      const previous = this.state.owners.get(room);
      if (previous && previous !== userId) roles.delete(previous);
      this.state.owners.set(room, userId);
    }
    roles.set(userId, role);
  }

  async claimOwnership(room: string, userId: string) {
    const existing = this.state.owners.get(room);
    if (existing) return { owner: existing, created: false };
    await this.setRole(room, userId, 'owner');
    return { owner: userId, created: true };
  }

  async settings(room: string): Promise<RoomSettings> {
    return structuredClone({ ...defaultSettings, ...this.state.settings.get(room) });
  }

  async setSettings(room: string, settings: RoomSettings, nodeId: string) {
    this.state.settings.set(room, structuredClone(settings));
    const event: BusSettings = { v: 1, type: 'settings', node: nodeId, room, settings: structuredClone(settings) };
    this.channels.emit(room, event);
  }

  async claimAutoSlowMode(room: string, forMs: number) {
    const now = Date.now();
    if ((this.state.autoClaims.get(room) ?? 0) > now) return false;
    this.state.autoClaims.set(room, now + forMs);
    return true;
  }

  async globalSettings() {
    return structuredClone(this.state.globalTerms);
  }

  async setGlobalSettings(settings: BlockedTerms, nodeId: string) {
    this.state.globalTerms = structuredClone(settings);
    const event: BusGlobalSettings = { v: 1, type: 'global_settings', node: nodeId, settings: structuredClone(settings) };
    this.channels.emit(CONTROL, event);
  }

  async rateLimit(room: string | null) {
    const { limit, source } = this.state.limitOf(room);
    return { limit: structuredClone(limit), source };
  }

  async setRateLimit(room: string | null, limit: RateLimit | undefined) {
    if (limit) this.state.limits.set(room, structuredClone(limit));
    else this.state.limits.delete(room);
  }
}
