export { buildUserApp, type UserDeps } from './app.ts';
export { userConfigSchema, type UserConfig } from './config.ts';
export type { RefreshTokenRevoker } from './routes/users/user-routes.ts';
