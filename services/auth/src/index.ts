export { buildAuthApp, type AuthDeps } from './app.ts';
export { adminAccount, authConfigSchema, loadAuthConfig, type AdminAccount, type AuthConfig } from './config.ts';
export { ensureAdmin, type AdminConfig, type AdminLog } from './admin.ts';
export { PasswordHasher } from './passwords/password-hasher.ts';
export { loadSigner } from './signing-key.ts';
export { MemoryThrottleStore } from './throttle/memory-throttle-store.ts';
export { RedisThrottleStore } from './throttle/redis-throttle-store.ts';
export type { ThrottleStore } from './throttle/throttle-store.ts';
