import { loadConfig, main, onShutdown } from '@chatorbit/shared';
import { buildGatewayApp } from './app.ts';
import { gatewayConfigSchema } from './config.ts';

main(async () => {
  const config = loadConfig(gatewayConfigSchema, process.env);
  const app = await buildGatewayApp(config);
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, () => app.close());
  await app.listen({ host: config.HOST, port: config.PORT });
});
