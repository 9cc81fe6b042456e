import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { authPlugin, compatAuthPlugin, createBaseApp, healthPlugin, type Deactivations, type RedisKeys, type TokenVerifier, type UserStore } from '@chatorbit/shared';
import { Persister } from './history/persister.ts';
import { persistenceLag } from './history/persistence-lag.ts';
import type { ChatConfig } from './config.ts';
import type { Broker } from './broker/broker.ts';
import type { MessageLog } from './history/message-log.ts';
import type { ModerationStore } from './moderation/moderation.ts';
import type { AuditLog } from './moderation/audit-log.ts';
import { moderationRoutes } from './routes/moderation/index.ts';
import { ModerationService } from './moderation/service.ts';
import { ChatNode } from './node.ts';
import { createChatMetrics } from './metrics.ts';
import { websocketPlugin } from './ws/plugin.ts';
import { ConnectionGuard } from './ws/guard.ts';
import { messagesRoutes } from './routes/rooms/messages.ts';
import { presenceRoutes } from './routes/rooms/presence.ts';
import { PresenceService } from './presence/service.ts';
import type { PresenceStore } from './presence/store.ts';
import { compatSocketPlugin } from './compat/socket-plugin.ts';
import { compatChatRoutes } from './compat/routes.ts';

export interface ChatDeps {
  nodeId: string;
  broker: Broker;
  log: MessageLog;
  moderation: ModerationStore;
  audit: AuditLog;
  /** Accounts: moderation looks up its targets (unknown → 404, admins can't be banned). */
  users: UserStore;
  verifier: TokenVerifier;
  /** Viewer counts and member lists shared by the nodes. */
  presence: PresenceStore;
  /**
   * Accounts an admin deactivated (the user service writes them): their sockets are refused at the
   * handshake, their HTTP requests with 403 `account_deactivated`.
   */
  deactivations: Deactivations;
  /**
   * The Redis engine's persistence stream: given, this node runs a persister moving messages
   * from it into `log` (started with the app, stopped after its sockets are closed).
   */
  persistence?: { redis: Redis; keys: RedisKeys; /** A non-blocking connection for the lag metrics. */ monitor?: Redis };
}

/** The chat service: WebSocket endpoint, history routes, health and metrics. Never listens. */
export async function buildChatApp(config: ChatConfig, deps: ChatDeps): Promise<FastifyInstance> {
  const app = await createBaseApp('chat', config.LOG_LEVEL);
  const metrics = createChatMetrics(app.metrics);
  const presence = new PresenceService({
    store: deps.presence,
    heartbeatMs: config.PRESENCE_HEARTBEAT_MS,
    intervalMs: config.PRESENCE_INTERVAL_MS,
    metrics,
    logger: app.log.child({ role: 'presence' }),
  });
  metrics.sources.presence = () => [...presence.local.rooms()].map(([, counts]) => counts);
  app.addHook('onReady', () => presence.start());
  // After the sockets are closed (preClose): this node's counts leave the store at once.
  app.addHook('onClose', () => presence.stop());
  const node = new ChatNode({
    id: deps.nodeId,
    broker: deps.broker,
    log: deps.log,
    moderation: deps.moderation,
    audit: deps.audit,
    deactivations: deps.deactivations,
    metrics,
    logger: app.log,
    joinHistoryLimit: config.JOIN_HISTORY_LIMIT,
    resumeMaxMessages: config.RESUME_MAX_MESSAGES,
    batchWindowMs: config.BATCH_WINDOW_MS,
    batchMinRate: config.BATCH_MIN_RATE,
    presence: presence.local,
  });
  app.addHook('onClose', async () => node.close());
  if (config.MESSAGE_RETENTION_DAYS > 0) {
    const retentionMs = config.MESSAGE_RETENTION_DAYS * 86_400_000;
    const sweep = () =>
      deps.log.prune(new Date(Date.now() - retentionMs)).then(
        (removed) => removed > 0 && app.log.info({ removed }, 'retention: deleted old messages'),
        (err: unknown) => app.log.warn({ err }, 'retention sweep failed'),
      );
    // Every node sweeps (deleting twice is harmless); hourly is precise enough for days.
    const timer = setInterval(sweep, 3_600_000).unref();
    app.addHook('onReady', async () => void sweep());
    app.addHook('onClose', async () => clearInterval(timer));
  }
  if (deps.persistence) {
    const persister = new Persister({
      ...deps.persistence,
      log: deps.log,
      consumer: deps.nodeId,
      logger: app.log.child({ role: 'persister' }),
      batchSize: config.PERSIST_BATCH_SIZE,
      claimIdleMs: config.PERSIST_CLAIM_IDLE_MS,
      onPersisted: (count, seconds) => {
        metrics.persisted.inc(count);
        metrics.persistBatch.observe(seconds);
      },
      onFailure: () => metrics.persistFailures.inc(),
    });
    const { monitor, keys } = deps.persistence;
    if (monitor) metrics.sources.persistLag = () => persistenceLag(monitor, keys);
    app.addHook('onReady', () => persister.start());
    // onClose runs after the sockets are closed (preClose): every send accepted is in the stream.
    app.addHook('onClose', () => persister.stop());
  }
  await app.register(healthPlugin, {
    checks: { broker: () => deps.broker.ping(), log: () => deps.log.ping() },
    // Chat works while MongoDB is down (messages wait in the persistence stream): an unready pod
    // would leave its Service for the whole outage and refuse every new socket for nothing.
    reportOnly: ['log'],
  });
  await app.register(authPlugin, { verifier: deps.verifier, isDeactivated: (userId) => deps.deactivations.has(userId) });
  // One set of connection limits for /ws and /ws/chat: a socket of either counts against both.
  const guard = new ConnectionGuard({
    perIp: config.MAX_CONNECTIONS_PER_IP,
    perUser: config.MAX_CONNECTIONS_PER_USER,
    handshakesPerSec: config.HANDSHAKES_PER_SEC_PER_IP,
  });
  app.addHook('onClose', async () => guard.close());
  // Frame and buffer limits are the same on /ws and /ws/chat.
  const socketLimits = {
    maxFrameBytes: config.MAX_FRAME_BYTES,
    maxTextLength: config.MAX_TEXT_LENGTH,
    maxBufferedBytes: config.MAX_BUFFERED_BYTES,
    maxFramesPerSec: config.MAX_FRAMES_PER_SEC,
  };
  await app.register(websocketPlugin, {
    node,
    verifier: deps.verifier,
    metrics,
    guard,
    limits: { ...socketLimits, maxRooms: config.MAX_ROOMS_PER_CONNECTION },
    pingIntervalMs: config.PING_INTERVAL_MS,
  });
  await app.register(messagesRoutes, { node });
  await app.register(presenceRoutes, { presence: deps.presence, moderation: deps.moderation, memberListMax: config.PRESENCE_MEMBER_LIST_MAX });
  const moderation = new ModerationService({
    store: deps.moderation,
    audit: deps.audit,
    users: deps.users,
    nodeId: deps.nodeId,
    broker: deps.broker,
    log: deps.log,
    onAction: (action, room) => metrics.moderationActions.inc({ action, scope: room === null ? 'global' : 'room' }),
  });
  await app.register(moderationRoutes, { moderation });
  // The original frontend's API (COMPAT.md): /ws/chat, /chat/history/:roomID, /chat/rooms.
  await app.register(compatAuthPlugin, { verifier: deps.verifier });
  await app.register(compatSocketPlugin, {
    node,
    verifier: deps.verifier,
    metrics,
    guard,
    limits: { ...socketLimits, pongTimeoutMs: config.COMPAT_PONG_TIMEOUT_MS },
    pingIntervalMs: config.COMPAT_PING_INTERVAL_MS,
  });
  await app.register(compatChatRoutes, { node, moderation, presence: deps.presence });
  return app;
}
