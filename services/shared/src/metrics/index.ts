export * from './process.ts';
export * from './redis.ts';
export * from './mongo.ts';
/** prom-client's metric classes, for services that do not depend on prom-client themselves. */
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
