export * from './codes.ts';
export * from './frames.ts';
export * from './bus.ts';
export * from './compat.ts';
