export * from './config.ts';
export * from './bus.ts';
