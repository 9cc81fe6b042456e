import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { RedisDeactivations, redisKeys } from '@chatorbit/shared';
import type { ChatConfig } from './config.ts';
import type { ChatDeps } from './app.ts';
import type { Broker } from './broker/broker.ts';
import { MemoryBroker, MemoryBus } from './broker/memory-broker.ts';
import { RedisBroker } from './broker/redis-broker.ts';
import type { MessageLog } from './history/message-log.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { MongoMessageLog } from './history/mongo-message-log.ts';
import type { ModerationStore, RateLimit } from './moderation/moderation.ts';
import { MemoryModerationStore } from './moderation/memory-moderation.ts';
import { RedisModerationStore, decodeExempt } from './moderation/redis-moderation.ts';
import type { AuditLog } from './moderation/audit-log.ts';
import { MemoryAuditLog } from './moderation/memory-audit-log.ts';
import { MongoAuditLog } from './moderation/mongo-audit-log.ts';
import { MemoryPresenceStore } from './presence/memory-store.ts';
import { RedisPresenceStore } from './presence/redis-store.ts';

export interface EngineClients {
  /** Opens a new Redis connection (each role needs its own); absent = the in-memory broker. */
  redis?: (role: 'pub' | 'sub' | 'persist') => Redis;
  /** The database of the message log; absent = messages kept in memory. */
  db?: Db;
  /** Without Redis: the bus to share with other nodes in this process (tests); default a new one. */
  memoryBus?: MemoryBus;
}

export type ChatEngine = Pick<ChatDeps, 'broker' | 'log' | 'persistence' | 'moderation' | 'audit' | 'presence' | 'deactivations'> & {
  /** Closes what the engine opened (after the app has closed). */
  close(): Promise<void>;
};

/** The chat backends a configuration asks for: Redis or in-memory, MongoDB or in-memory. */
export async function createChatEngine(config: ChatConfig, nodeId: string, clients: EngineClients): Promise<ChatEngine> {
  const log: MessageLog = clients.db
    ? new MongoMessageLog(clients.db)
    : (clients.memoryBus?.log ?? new MemoryMessageLog());
  await log.init();
  const audit: AuditLog = clients.db ? new MongoAuditLog(clients.db) : (clients.memoryBus?.audit ?? new MemoryAuditLog());
  await audit.init();
  const configLimit: RateLimit = {
    messages: config.RATE_LIMIT_MESSAGES,
    perSec: config.RATE_LIMIT_PER_SEC,
    exempt: decodeExempt(config.RATE_LIMIT_EXEMPT),
  };
  if (!clients.redis) {
    const bus =
      clients.memoryBus ??
      new MemoryBus({ log, recentSize: config.RECENT_HISTORY_SIZE, nonceTtlMs: config.NONCE_TTL_SEC * 1000, configLimit });
    const broker: Broker = new MemoryBroker(bus, nodeId);
    const moderation: ModerationStore = new MemoryModerationStore(bus.moderation, bus.channels);
    const presence = new MemoryPresenceStore(bus.presence, nodeId, config.PRESENCE_MEMBER_LIST_MAX);
    // One process: the user service in it records deactivations here too (standalone.ts).
    return { broker, log, moderation, audit, presence, deactivations: bus.deactivations, close: () => broker.close() };
  }
  const keys = redisKeys(config.REDIS_PREFIX);
  const persist = clients.redis('persist');
  const pub = clients.redis('pub');
  const broker = new RedisBroker({
    pub,
    sub: clients.redis('sub'),
    keys,
    nodeId,
    recentSize: config.RECENT_HISTORY_SIZE,
    nonceTtlSec: config.NONCE_TTL_SEC,
    replicaAcks: config.REDIS_REPLICA_ACKS,
    configLimit,
  });
  return {
    broker,
    log,
    moderation: new RedisModerationStore(pub, keys, configLimit),
    audit,
    presence: new RedisPresenceStore({ redis: pub, keys, nodeId, heartbeatMs: config.PRESENCE_HEARTBEAT_MS, memberListMax: config.PRESENCE_MEMBER_LIST_MAX }),
    deactivations: new RedisDeactivations(pub, keys, nodeId),
    persistence: { redis: persist, keys, monitor: pub },
    close: async () => {
      await broker.close();
      await persist.quit().catch(() => persist.disconnect());
    },
  };
}
