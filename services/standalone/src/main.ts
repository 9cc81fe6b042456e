import { main, onShutdown } from '@chatorbit/shared';
import { startStandalone } from './standalone.ts';

main(async () => {
  const standalone = await startStandalone(process.env);
  standalone.gateway.log.info({ url: standalone.url }, 'ChatOrbit is up (all services in one process)');
  onShutdown(standalone.gateway.log, 15_000, standalone.close);
});
