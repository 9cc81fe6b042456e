export { buildChatApp, type ChatDeps } from './app.ts';
export { chatConfigSchema, type ChatConfig } from './config.ts';
export type { Broker } from './broker/broker.ts';
export { MemoryBroker, MemoryBus } from './broker/memory-broker.ts';
export { RedisBroker } from './broker/redis-broker.ts';
export type { MessageLog } from './history/message-log.ts';
export { MemoryMessageLog } from './history/memory-message-log.ts';
export { MongoMessageLog } from './history/mongo-message-log.ts';
