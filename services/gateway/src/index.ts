export { buildGatewayApp } from './app.ts';
export { gatewayConfigSchema, type GatewayConfig } from './config.ts';
