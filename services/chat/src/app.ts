import type { FastifyInstance } from 'fastify';
import { authPlugin, createBaseApp, healthPlugin, type TokenVerifier } from '@chatorbit/shared';
import type { ChatConfig } from './config.ts';
import type { Broker } from './broker/broker.ts';
import type { MessageLog } from './history/message-log.ts';
import { ChatNode } from './node.ts';
import { createChatMetrics } from './metrics.ts';
import { websocketPlugin } from './ws/plugin.ts';
import { messagesRoutes } from './routes/rooms/messages.ts';

export interface ChatDeps {
  nodeId: string;
  broker: Broker;
  log: MessageLog;
  verifier: TokenVerifier;
}

declare module 'fastify' {
  interface FastifyInstance {
    chatNode: ChatNode;
  }
}

/** The chat service: WebSocket endpoint, history routes, health and metrics. Never listens. */
export async function buildChatApp(config: ChatConfig, deps: ChatDeps): Promise<FastifyInstance> {
  const app = await createBaseApp('chat', config.LOG_LEVEL);
  const metrics = createChatMetrics(app.metrics);
  const node = new ChatNode({
    id: deps.nodeId,
    broker: deps.broker,
    log: deps.log,
    metrics,
    joinHistoryLimit: config.JOIN_HISTORY_LIMIT,
    logger: app.log,
  });
  app.decorate('chatNode', node);
  await app.register(healthPlugin, {
    checks: { broker: () => deps.broker.ping(), log: () => deps.log.ping() },
  });
  await app.register(authPlugin, { verifier: deps.verifier });
  await app.register(websocketPlugin, {
    node,
    verifier: deps.verifier,
    metrics,
    limits: { maxFrameBytes: config.MAX_FRAME_BYTES, maxTextLength: config.MAX_TEXT_LENGTH },
    pingIntervalMs: config.PING_INTERVAL_MS,
  });
  await app.register(messagesRoutes, { node });
  return app;
}
