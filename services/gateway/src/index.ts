export { buildGatewayApp } from './app.ts';
export { gatewayConfigSchema, type GatewayConfig } from './config.ts';
export { DOCS_CSP } from './api-docs.ts';
