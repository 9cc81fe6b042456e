import { Counter, Gauge, type Registry } from '@chatorbit/shared';

/** The gateway's WebSocket proxy metrics (HTTP is counted by the base app). */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    wsOpen: new Gauge({ name: 'chatorbit_gateway_ws_connections_open', help: 'WebSockets proxied by this gateway right now.', registers }),
    wsTotal: new Counter({
      name: 'chatorbit_gateway_ws_connections_total',
      help: 'WebSocket upgrades accepted by the gateway and proxied, by upstream service.',
      labelNames: ['service'] as const,
      registers,
    }),
  };
}
