export * from './refresh-token-store.ts';
export * from './memory-refresh-token-store.ts';
export * from './mongo-refresh-token-store.ts';
