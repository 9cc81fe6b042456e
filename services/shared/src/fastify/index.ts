export * from './errors.ts';
export * from './health.ts';
export * from './metrics.ts';
export * from './auth.ts';
export * from './base-app.ts';
export * from './compat.ts';
