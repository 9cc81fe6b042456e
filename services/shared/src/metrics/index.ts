export * from './process.ts';
export * from './redis.ts';
export * from './mongo.ts';
