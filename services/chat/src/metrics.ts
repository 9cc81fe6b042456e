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
      help: 'Messages handed to local sockets (a batch frame of n messages counts n).',
      registers,
    }),
    framesWritten: new Counter({
      name: 'chatorbit_fanout_frames_total',
      help: 'Message and batch frames written to local sockets.',
      registers,
    }),
    slowConsumers: new Counter({
      name: 'chatorbit_ws_slow_consumers_total',
      help: 'Sockets closed with 4508 for falling more than MAX_BUFFERED_BYTES behind.',
      registers,
    }),
    persisted: new Counter({
      name: 'chatorbit_persisted_messages_total',
      help: 'Messages this node moved from the persistence stream into MongoDB.',
      registers,
    }),
    persistFailures: new Counter({
      name: 'chatorbit_persist_failures_total',
      help: 'Failed persister writes (each is retried; nothing is dropped).',
      registers,
    }),
    frameErrors: new Counter({
      name: 'chatorbit_ws_frame_errors_total',
      help: 'Client frames refused, by error code.',
      labelNames: ['code'] as const,
      registers,
    }),
    presenceFrames: new Counter({
      name: 'chatorbit_presence_frames_total',
      help: 'Presence frames (viewer counts) written to local sockets.',
      registers,
    }),
    presenceFailures: new Counter({
      name: 'chatorbit_presence_failures_total',
      help: 'Failed presence heartbeats and reads for the pushed counts (each is retried at the next one).',
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
