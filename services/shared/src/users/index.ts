export * from './user-store.ts';
export * from './memory-user-store.ts';
export * from './mongo-user-store.ts';
export * from './deactivations.ts';
