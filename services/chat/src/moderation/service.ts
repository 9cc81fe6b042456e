import { AppError, isAdmin, notFound, type BlockedTerms, type Principal, type RoomSettings, type UserStore } from '@chatorbit/shared';
import { patternProblem } from './term-filter.ts';
import type { Broker } from '../broker/broker.ts';
import type { MessageLog } from '../history/message-log.ts';
import type { AuditEntry, AuditLog, AuditQuery } from './audit-log.ts';
import type { Ban, ModerationStore, RateLimit, RoomRole } from './moderation.ts';

export type Authority = 'admin' | RoomRole | undefined;

export const forbidden = (message: string) => new AppError(403, 'forbidden', message);

/** Rank for "who may act on whom": an actor acts only on users ranked below it. */
const rank = (authority: Authority) =>
  authority === 'admin' ? 4 : authority === 'owner' ? 3 : authority === 'moderator' ? 2 : authority === 'vip' ? 1 : 0;

const actorOf = (p: Principal) => ({ id: p.userId, name: p.name });

function checkPatterns(patterns: readonly string[] | undefined) {
  for (const pattern of patterns ?? []) {
    const problem = patternProblem(pattern);
    if (problem) throw new AppError(400, 'invalid_body', `blockedPatterns: ${problem}`);
  }
}

export interface BanRequest {
  userId: string;
  durationSec?: number;
  reason?: string;
  /** Also hide the user's messages still in the room's recent history (room bans only). */
  purge?: boolean;
}

/**
 * Moderation actions with their rules, whatever the transport (HTTP today). Every rule is here:
 * admins act everywhere; a room's owner and moderators only in that room; nobody acts on
 * themself, on an admin, or on someone ranked at or above them in the room; global actions are
 * for admins. Every action is written to the audit log.
 */
export class ModerationService {
  private readonly store: ModerationStore;
  private readonly audit: AuditLog;
  private readonly users: UserStore;
  private readonly nodeId: string;
  private readonly broker: Broker;
  private readonly log: MessageLog;

  private readonly onAction: ((action: AuditEntry['action'], room: string | null) => void) | undefined;

  constructor(opts: {
    store: ModerationStore;
    audit: AuditLog;
    users: UserStore;
    nodeId: string;
    broker: Broker;
    log: MessageLog;
    /** Told of every action recorded (for the metrics). */
    onAction?: (action: AuditEntry['action'], room: string | null) => void;
  }) {
    this.onAction = opts.onAction;
    this.store = opts.store;
    this.audit = opts.audit;
    this.users = opts.users;
    this.nodeId = opts.nodeId;
    this.broker = opts.broker;
    this.log = opts.log;
  }

  /**
   * Deletes a message: hidden from history (Redis and MongoDB, where it is soft-deleted) and
   * from every member's view (`deleted` frames).
   */
  async deleteMessage(actor: Principal, room: string, id: string) {
    await this.requireModerator(actor, room);
    const message =
      (await this.broker.recent(room, { limit: 100_000, order: 'desc' })).find((m) => m.id === id) ?? (await this.log.find(room, id));
    if (!message) throw notFound('message');
    await this.store.hide(room, { id }, this.nodeId);
    await this.log.markDeleted(room, { ids: [id] });
    await this.record(actor, 'message_delete', room, message.user.id, { details: { messageId: id, seq: message.seq } });
  }

  /** Clears a room's history up to now: hidden everywhere, members told with a `cleared` frame. */
  async clearRoom(actor: Principal, room: string) {
    await this.requireModerator(actor, room);
    const upTo = await this.broker.lastSeq(room);
    await this.store.hide(room, { upTo }, this.nodeId);
    await this.log.markDeleted(room, { upTo });
    await this.record(actor, 'room_clear', room, null, { details: { upTo } });
    return upTo;
  }

  async authorityIn(actor: Principal, room: string): Promise<Authority> {
    return isAdmin(actor) ? 'admin' : this.store.roleOf(room, actor.userId);
  }

  /** Admins everywhere; the owner and moderators in their room (room null: admins only). */
  async requireModerator(actor: Principal, room: string | null): Promise<Authority> {
    if (room === null) {
      if (!isAdmin(actor)) throw forbidden('only admins may do this');
      return 'admin';
    }
    const authority = await this.authorityIn(actor, room);
    if (rank(authority) >= rank('moderator')) return authority;
    throw forbidden(`only admins and the owner or moderators of ${room} may do this`);
  }

  async ban(actor: Principal, room: string | null, request: BanRequest): Promise<Ban> {
    const authority = await this.requireModerator(actor, room);
    await this.checkTarget(actor, authority, room, request.userId, 'ban');
    const ban: Ban = {
      userId: request.userId,
      room,
      until: request.durationSec === undefined ? null : Date.now() + request.durationSec * 1000,
      reason: request.reason ?? '',
      by: actorOf(actor),
      at: Date.now(),
    };
    if (request.purge && room === null) throw new AppError(400, 'invalid_body', 'purge applies to room bans only');
    await this.store.ban(ban, this.nodeId);
    let purged = 0;
    if (request.purge && room !== null) {
      const ids = (await this.broker.recent(room, { limit: 100_000, order: 'desc' })).filter((m) => m.user.id === ban.userId).map((m) => m.id);
      await this.store.hide(room, { userId: ban.userId, ids }, this.nodeId);
      await this.log.markDeleted(room, { ids });
      purged = ids.length;
    }
    await this.record(actor, ban.until === null ? 'ban' : 'timeout', room, ban.userId, {
      reason: request.reason ?? null,
      expiresAt: ban.until,
      details: request.purge ? { purged } : null,
    });
    return ban;
  }

  async unban(actor: Principal, room: string | null, userId: string) {
    await this.requireModerator(actor, room);
    if (!(await this.store.unban(room, userId))) throw notFound('ban');
    await this.record(actor, 'unban', room, userId);
  }

  async bans(actor: Principal, room: string | null) {
    await this.requireModerator(actor, room);
    return this.store.bans(room);
  }

  async createRoom(actor: Principal, room: string) {
    const result = await this.store.claimOwnership(room, actor.userId);
    if (result.created) await this.record(actor, 'room_create', room, actor.userId);
    return result;
  }

  async roles(room: string) {
    return this.store.roles(room);
  }

  /** Grants (role) or revokes (undefined) a room role. Owner and admins grant moderator/vip; only admins grant owner. */
  async setRole(actor: Principal, room: string, userId: string, role: RoomRole | undefined) {
    const authority = await this.authorityIn(actor, room);
    const current = await this.store.roleOf(room, userId);
    const touched = role ?? current;
    if (touched === undefined) throw notFound('role');
    const needed: Authority = touched === 'owner' ? 'admin' : 'owner';
    if (rank(authority) < rank(needed)) throw forbidden(`only ${needed === 'admin' ? 'admins' : 'admins and the room owner'} may change the ${touched} role`);
    if (role !== undefined && !(await this.users.findById(userId))) throw notFound('user');
    await this.store.setRole(room, userId, role);
    await this.record(actor, role === undefined ? 'role_revoke' : 'role_grant', room, userId, { details: { role: touched } });
  }

  settings(room: string) {
    return this.store.settings(room);
  }

  /** Changes some of a room's settings (its owner and moderators); every member is told at once. */
  async setSettings(actor: Principal, room: string, change: Partial<RoomSettings>) {
    await this.requireModerator(actor, room);
    checkPatterns(change.blockedPatterns);
    // Slow mode set by hand lasts until turned off, unless an end is given.
    const settings = { ...(await this.store.settings(room)), ...(change.slowModeSec !== undefined ? { slowModeUntil: 0 } : {}), ...change };
    await this.store.setSettings(room, settings, this.nodeId);
    await this.record(actor, 'settings_set', room, null, { details: { ...change } });
    return settings;
  }

  globalSettings() {
    return this.store.globalSettings();
  }

  /** Changes the blocked terms of every room (admins). */
  async setGlobalSettings(actor: Principal, change: Partial<BlockedTerms>) {
    await this.requireModerator(actor, null);
    checkPatterns(change.blockedPatterns);
    const settings = { ...(await this.store.globalSettings()), ...change };
    await this.store.setGlobalSettings(settings, this.nodeId);
    await this.record(actor, 'settings_set', null, null, { details: { ...change } });
    return settings;
  }

  rateLimit(room: string | null) {
    return this.store.rateLimit(room);
  }

  /** Sets (limit) or resets (undefined) the room's limit, or the default with room null. */
  async setRateLimit(actor: Principal, room: string | null, limit: RateLimit | undefined) {
    await this.requireModerator(actor, room);
    await this.store.setRateLimit(room, limit);
    await this.record(actor, limit ? 'ratelimit_set' : 'ratelimit_reset', room, null, { details: limit ? { ...limit } : null });
  }

  /** Audit entries: a room's for its moderators, everything (room undefined) or global (null) for admins. */
  async auditLog(actor: Principal, query: AuditQuery) {
    if (typeof query.room === 'string') await this.requireModerator(actor, query.room);
    else await this.requireModerator(actor, null);
    return this.audit.list(query);
  }

  /** Undoes a ban or timeout by its audit entry. */
  async undo(actor: Principal, auditId: string): Promise<AuditEntry> {
    const entry = await this.audit.get(auditId);
    if (!entry) throw notFound('audit entry');
    if ((entry.action !== 'ban' && entry.action !== 'timeout') || entry.target === null) {
      throw new AppError(400, 'bad_request', `a ${entry.action} cannot be undone; only bans and timeouts`);
    }
    await this.unban(actor, entry.room, entry.target);
    return entry;
  }

  private async checkTarget(actor: Principal, authority: Authority, room: string | null, targetId: string, verb: string) {
    if (targetId === actor.userId) throw forbidden(`you cannot ${verb} yourself`);
    const target = await this.users.findById(targetId);
    if (!target) throw notFound('user');
    if (isAdmin(target)) throw forbidden(`admins cannot be ${verb}ned`);
    if (room !== null && rank(await this.store.roleOf(room, targetId)) >= rank(authority)) {
      throw forbidden(`you may only ${verb} users ranked below you in this room`);
    }
  }

  private async record(
    actor: Principal,
    action: AuditEntry['action'],
    room: string | null,
    target: string | null,
    extra: Partial<Pick<AuditEntry, 'reason' | 'expiresAt' | 'details'>> = {},
  ) {
    await this.audit.record({ actor: actorOf(actor), action, room, target, reason: null, expiresAt: null, details: null, ...extra });
    this.onAction?.(action, room);
  }
}
