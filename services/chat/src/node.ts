import { ObjectId } from 'mongodb';
import type { FastifyBaseLogger } from 'fastify';
import { closeCodes, inConsumerSpan, inProducerSpan, isAdmin, isGuest, type BusEvent, type Deactivations, type Message, type Principal, type RoomSettings } from '@chatorbit/shared';
import type { Broker, RangeQuery, SendResult } from './broker/broker.ts';
import { slowModeOn, type Hidden, type ModerationStore } from './moderation/moderation.ts';
import type { LoggedMessage } from './history/message-log.ts';
import type { AuditLog } from './moderation/audit-log.ts';
import { compileFilter, type TermFilter } from './moderation/term-filter.ts';
import { RoomHistory } from './history/room-history.ts';
import type { MessageLog } from './history/message-log.ts';
import { Fanout } from './hub/fanout.ts';
import { Hub, type Subscriber } from './hub/hub.ts';
import { RoomSequencer } from './hub/sequencer.ts';
import { observeFrame, type ChatMetrics } from './metrics.ts';
import type { LocalPresence } from './presence/local.ts';

export interface ChatNodeOptions {
  id: string;
  broker: Broker;
  moderation: ModerationStore;
  /** Automatic actions (slow mode) are audited like a moderator's. */
  audit: AuditLog;
  log: MessageLog;
  /** Deactivated accounts (written by the user service): refused at the handshake. */
  deactivations: Deactivations;
  metrics: ChatMetrics;
  logger: FastifyBaseLogger;
  joinHistoryLimit: number;
  resumeMaxMessages: number;
  batchWindowMs: number;
  batchMinRate: number;
  /** Who is in which room here, for presence: kept current on join and leave. */
  presence: LocalPresence;
}

/** A user's socket, as moderation reaches it. */
export interface Session {
  readonly principal: Principal;
  /** The user was banned from `room` (null: from every room): tell the client, leave the room(s). */
  kick(room: string | null, until: number | null, reason: string): void;
  /** Closes the socket with a close code (an admin deactivated the account: 4403). */
  end(code: number, reason: string): void;
}

/** A join or send refused by moderation. */
export class RefusedError extends Error {
  readonly refusal: Extract<SendResult, { refused: string }>;
  constructor(refusal: Extract<SendResult, { refused: string }>) {
    super(refusal.refused);
    this.name = 'RefusedError';
    this.refusal = refusal;
  }
}

/** The actor of automatic moderation in the audit log. */
const AUTOMATIC = { id: 'system', name: 'automatic slow mode' };

/** The messages a client may see: not deleted, not cleared; the log's own fields stripped. */
function visible(messages: readonly LoggedMessage[], hidden: Hidden): Message[] {
  const out: Message[] = [];
  for (const { deleted, ...message } of messages) {
    if (!deleted && message.seq > hidden.upTo && !hidden.ids.has(message.id)) out.push(message);
  }
  return out;
}

export interface JoinResult {
  settings: RoomSettings;
  seq: number;
  history: Message[];
  /** Set for a resume (`since`): whether `history` holds every message after it. */
  recovered?: boolean;
}

/**
 * One chat node: local members (hub), frames for them (fanout), the broker and the room
 * history, wired together. Knows nothing of WebSockets; a connection calls join/leave/send and
 * receives frames through its Subscriber.
 */
export class ChatNode {
  readonly id: string;
  private readonly hub = new Hub();
  readonly history: RoomHistory;
  private readonly fanout: Fanout;
  /** Live messages to fan-out in seq order, holes (missed on the bus) filled from history. */
  private readonly sequencer: RoomSequencer;
  private readonly broker: Broker;
  readonly moderation: ModerationStore;
  private readonly metrics: ChatMetrics;
  /** Blocked-term filters of the rooms with local members, and of every room; kept current by settings events. */
  private readonly filters = new Map<string, Promise<TermFilter>>();
  private globalFilter: Promise<TermFilter> | undefined;
  /** Settings of the rooms with local members (for automatic slow mode), kept current by events. */
  private readonly roomSettings = new Map<string, RoomSettings>();
  private readonly autoSlowPending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Local sockets by user id: how a ban finds them. */
  private readonly sessions = new Map<string, Set<Session>>();
  private readonly opts: ChatNodeOptions;
  /**
   * Accounts deactivated while this node ran (from `account` events, cleared by reactivations): a
   * socket that passed the handshake check just before the event and registers after it is
   * closed all the same, once the store confirms (so a missed reactivation does not lock anyone out).
   */
  private readonly deactivated = new Set<string>();
  /** Rooms this node is subscribed to (or subscribing): one broker subscription per room. */
  private readonly subscriptions = new Map<string, Promise<void>>();

  constructor(opts: ChatNodeOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.broker = opts.broker;
    this.moderation = opts.moderation;
    this.metrics = opts.metrics;
    this.history = new RoomHistory(opts.broker, opts.log);
    this.fanout = new Fanout(this.hub, {
      windowMs: opts.batchWindowMs,
      minRate: opts.batchMinRate,
      onFrame: (members, messages, carried) => observeFrame(opts.metrics, members, messages, carried),
    });
    this.sequencer = new RoomSequencer({
      read: (room, after, before) => this.history.range(room, { after, before, limit: before - after - 1, order: 'asc' }),
      emit: (room, message, traceparent) => {
        const attributes = () => ({ 'chatorbit.room': room, 'chatorbit.node': this.id, 'chatorbit.seq': message.seq, 'chatorbit.local_members': this.hub.memberCountOf(room) });
        inConsumerSpan('chat deliver', traceparent, attributes, () => this.fanout.push(room, message));
      },
      onGap: (room, missing, filled) =>
        opts.logger.warn({ room, missing, filled }, 'live messages were missed on the bus (a Redis reconnect or failover); read them back from history'),
      onError: (room, err) => opts.logger.warn({ err, room }, 'reading back messages missed on the bus failed; they are skipped'),
      maxFill: opts.resumeMaxMessages,
    });
    opts.metrics.sources.rooms = () => this.hub.roomCount;
    opts.metrics.sources.members = () => this.hub.memberCount;
    this.broker.onEvent(
      (room, event) => this.deliver(room, event),
      (room) => {
        opts.metrics.invalidBusEvents.inc();
        opts.logger.warn({ room }, 'dropped a bus payload that is not a known event version');
      },
    );
  }

  /**
   * Adds the subscriber to the room and returns what it missed. The subscriber is a member
   * (receiving live frames) before anything is read, so every message is in what is read, or
   * arrives live, or both; the connection drops live messages at or below what it was given.
   */
  async join(room: string, subscriber: Subscriber & Session, since?: number): Promise<JoinResult> {
    if (!isAdmin(subscriber.principal)) {
      const ban = await this.moderation.banOf(room, subscriber.principal.userId);
      if (ban) throw new RefusedError({ refused: 'banned', until: ban.until, reason: ban.reason });
    }
    if (this.hub.add(room, subscriber)) this.subscriptions.set(room, this.broker.subscribe(room));
    this.opts.presence.join(room, subscriber, subscriber.principal);
    try {
      await this.subscriptions.get(room);
      const [seq, settings, hidden] = await Promise.all([this.broker.lastSeq(room), this.moderation.settings(room), this.moderation.hidden(room)]);
      this.filters.set(room, Promise.resolve(compileFilter(settings)));
      this.roomSettings.set(room, settings);
      if (since !== undefined && since <= seq && seq - since <= this.opts.resumeMaxMessages) {
        const missed = seq - since;
        const history = missed === 0 ? [] : await this.history.range(room, { after: since, before: seq + 1, limit: missed, order: 'asc' });
        // Seqs are contiguous: the replay is whole when it has one message per seq (counted
        // before deleted messages are taken out).
        if (history.length === missed) return { settings, seq, history: visible(history, hidden), recovered: true };
      }
      const latest = this.opts.joinHistoryLimit > 0 ? await this.broker.recent(room, { limit: this.opts.joinHistoryLimit, order: 'desc' }) : [];
      return { settings, seq, history: visible(latest.reverse(), hidden), ...(since !== undefined ? { recovered: false } : {}) };
    } catch (err) {
      await this.leave(room, subscriber);
      throw err;
    }
  }

  async leave(room: string, subscriber: Subscriber): Promise<void> {
    this.opts.presence.leave(room, subscriber);
    if (!this.hub.remove(room, subscriber)) return;
    const subscribing = this.subscriptions.get(room);
    this.subscriptions.delete(room);
    this.sequencer.drop(room);
    this.fanout.drop(room);
    this.filters.delete(room);
    this.roomSettings.delete(room);
    await subscribing?.catch(() => {});
    // A member may have joined while the subscription settled: it holds a new subscription.
    if (!this.subscriptions.has(room)) await this.broker.unsubscribe(room);
  }

  /**
   * Accepts a message: checked (bans, rate limit), stored, queued for the durable log and
   * published in one step; or refused, changing nothing.
   */
  async send(room: string, user: Principal, text: string, nonce: string): Promise<SendResult> {
    return inProducerSpan('chat send', { 'chatorbit.room': room, 'chatorbit.node': this.id }, (traceparent) => this.sendTraced(room, user, text, nonce, traceparent));
  }

  private async sendTraced(room: string, user: Principal, text: string, nonce: string, traceparent: string | undefined): Promise<SendResult> {
    const result = await this.broker.send({
      id: new ObjectId().toHexString(),
      room,
      user: { id: user.userId, name: user.name },
      text,
      ts: Date.now(),
      nonce,
      privileged: isAdmin(user),
      ...(traceparent ? { traceparent } : {}),
    });
    if (!result.refused && !result.duplicate) this.metrics.messagesSent.inc();
    if (!result.refused && result.duplicate) this.metrics.duplicates.inc();
    return result;
  }

  /** The blocked term (of the room, or of every room) the text contains, if any. */
  async blockedTerm(room: string, text: string): Promise<string | undefined> {
    this.globalFilter ??= this.moderation.globalSettings().then(compileFilter);
    let filter = this.filters.get(room);
    if (!filter) this.filters.set(room, (filter = this.moderation.settings(room).then(compileFilter)));
    try {
      const [global, local] = await Promise.all([this.globalFilter, filter]);
      return global.match(text) ?? local.match(text);
    } catch (err) {
      // Not cached when Redis failed: the next send asks again.
      this.globalFilter = undefined;
      this.filters.delete(room);
    this.roomSettings.delete(room);
      throw err;
    }
  }

  /** Whether the account is deactivated (guests have none). One cheap lookup, made per handshake. */
  async isDeactivated(principal: Principal): Promise<boolean> {
    return !isGuest(principal) && (await this.opts.deactivations.has(principal.userId));
  }

  register(session: Session) {
    const { userId } = session.principal;
    if (this.deactivated.has(userId) && !isGuest(session.principal)) {
      void this.opts.deactivations.has(userId).then(
        (deactivated) => (deactivated ? session.end(closeCodes.accountDeactivated, 'account deactivated') : this.deactivated.delete(userId)),
        (err: unknown) => this.opts.logger.warn({ err, userId }, 'checking a deactivation failed'),
      );
    }
    let sessions = this.sessions.get(session.principal.userId);
    if (!sessions) this.sessions.set(session.principal.userId, (sessions = new Set()));
    sessions.add(session);
  }

  unregister(session: Session) {
    const sessions = this.sessions.get(session.principal.userId);
    if (sessions?.delete(session) && sessions.size === 0) this.sessions.delete(session.principal.userId);
  }

  /**
   * A history page without deleted messages; `raw` describes the page before they were taken
   * out, so cursors step over them.
   */
  async page(room: string, query: RangeQuery) {
    const [raw, hidden] = await Promise.all([this.history.range(room, query), this.moderation.hidden(room)]);
    return { messages: visible(raw, hidden), raw: { count: raw.length, first: raw[0]?.seq, last: raw.at(-1)?.seq } };
  }

  close() {
    this.fanout.close();
    for (const timer of this.timers) clearTimeout(timer);
  }

  private deliver(room: string | null, event: BusEvent) {
    if (event.type === 'hidden') {
      if (event.room !== room) return;
      const frame =
        event.id !== undefined
          ? { type: 'deleted', room, id: event.id }
          : event.userId !== undefined
            ? { type: 'purged', room, userId: event.userId }
            : { type: 'cleared', room };
      this.hub.notice(room, JSON.stringify(frame));
      return;
    }
    if (event.type === 'global_settings') {
      this.globalFilter = Promise.resolve(compileFilter(event.settings));
      return;
    }
    if (event.type === 'settings') {
      if (event.room !== room) return;
      if (this.filters.has(room)) this.filters.set(room, Promise.resolve(compileFilter(event.settings)));
      if (this.roomSettings.has(room)) this.roomSettings.set(room, event.settings);
      this.hub.notice(room, JSON.stringify({ type: 'settings', room, ...event.settings }));
      return;
    }
    if (event.type === 'account') {
      if (room !== null) return;
      if (!event.deactivated) {
        this.deactivated.delete(event.userId);
        return;
      }
      this.deactivated.add(event.userId);
      for (const session of this.sessions.get(event.userId) ?? []) {
        if (!isGuest(session.principal)) session.end(closeCodes.accountDeactivated, 'account deactivated');
      }
      return;
    }
    if (event.type === 'ban') {
      if (event.room !== room) return;
      for (const session of this.sessions.get(event.userId) ?? []) session.kick(event.room, event.until, event.reason);
      return;
    }
    if (room === null || event.message.room !== room) return;
    this.metrics.busMessages.inc();
    this.sequencer.push(room, event.message, event.traceparent);
    this.autoSlowMode(room);
  }

  /**
   * Automatic slow mode: when a room runs above its autoSlowModeRate, one node (the one that
   * claims it) turns slow mode on until slowModeUntil. Enforcement ends by itself then (the send
   * script reads slowModeUntil); the claiming node also announces the end.
   */
  private autoSlowMode(room: string) {
    const settings = this.roomSettings.get(room);
    if (!settings || settings.autoSlowModeRate === 0 || slowModeOn(settings) || this.autoSlowPending.has(room)) return;
    if (this.fanout.rate(room) <= settings.autoSlowModeRate) return;
    this.autoSlowPending.add(room);
    void this.startAutoSlowMode(room, settings)
      .catch((err: unknown) => this.opts.logger.warn({ err, room }, 'automatic slow mode failed'))
      .finally(() => this.autoSlowPending.delete(room));
  }

  private async startAutoSlowMode(room: string, settings: RoomSettings) {
    const forMs = settings.autoSlowModeForSec * 1000;
    if (!(await this.moderation.claimAutoSlowMode(room, forMs))) return;
    const until = Date.now() + forMs;
    await this.moderation.setSettings(room, { ...settings, slowModeSec: settings.autoSlowModeSec, slowModeUntil: until }, this.id);
    await this.opts.audit.record({
      actor: AUTOMATIC,
      action: 'settings_set',
      room,
      target: null,
      reason: `over ${settings.autoSlowModeRate} messages/s`,
      expiresAt: until,
      details: { slowModeSec: settings.autoSlowModeSec, slowModeUntil: until },
    });
    this.opts.logger.info({ room, slowModeSec: settings.autoSlowModeSec, forMs }, 'automatic slow mode on');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.moderation
        .settings(room)
        .then((current) => (current.slowModeUntil === until ? this.moderation.setSettings(room, { ...current, slowModeSec: 0, slowModeUntil: 0 }, this.id) : undefined))
        .catch((err: unknown) => this.opts.logger.warn({ err, room }, 'ending automatic slow mode failed'));
    }, forMs);
    this.timers.add(timer);
  }
}
