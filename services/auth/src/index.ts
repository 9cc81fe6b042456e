export { buildAuthApp, type AuthDeps } from './app.ts';
export { authConfigSchema, type AuthConfig } from './config.ts';
export { loadSigner } from './signing-key.ts';
