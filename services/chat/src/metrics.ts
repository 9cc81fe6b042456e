import { Counter, Gauge, type Registry } from 'prom-client';

/** The chat metrics domain code touches; labels never carry a room, user or message id. */
export function createChatMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'chatorbit_ws_connections', help: 'Open WebSocket connections.', registers }),
    connectionsTotal: new Counter({
      name: 'chatorbit_ws_connections_total',
      help: 'WebSocket connections accepted.',
      registers,
    }),
    messagesSent: new Counter({
      name: 'chatorbit_messages_sent_total',
      help: 'Messages accepted, stored and published by this node.',
      registers,
    }),
    deliveries: new Counter({
      name: 'chatorbit_message_deliveries_total',
      help: 'Message frames handed to local sockets.',
      registers,
    }),
    frameErrors: new Counter({
      name: 'chatorbit_ws_frame_errors_total',
      help: 'Client frames refused, by error code.',
      labelNames: ['code'] as const,
      registers,
    }),
    invalidBusEvents: new Counter({
      name: 'chatorbit_bus_invalid_events_total',
      help: 'Bus payloads dropped because they did not decode as a known event version.',
      registers,
    }),
  };
}
export type ChatMetrics = ReturnType<typeof createChatMetrics>;
