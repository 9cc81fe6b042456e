export * from './codes.ts';
export * from './frames.ts';
export * from './bus.ts';
export * from './compat.ts';
export { buildAsyncApi, closeCodeDocs, wsErrorCodeDocs, type AsyncApiOptions } from './asyncapi.ts';
