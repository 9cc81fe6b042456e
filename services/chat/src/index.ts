export { buildChatApp, type ChatDeps } from './app.ts';
export { chatConfigSchema, type ChatConfig } from './config.ts';
export { createChatEngine, type ChatEngine, type EngineClients } from './engine.ts';
export type { Broker } from './broker/broker.ts';
export type { MessageLog } from './history/message-log.ts';
