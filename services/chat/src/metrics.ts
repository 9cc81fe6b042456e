import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { wsErrorCodes, type WsErrorCode } from '@chatorbit/shared';
import { auditActions } from './moderation/audit-log.ts';

/** Why a client's frame was refused (the `reason` of chatorbit_refusals_total). */
export const refusalReasons = ['banned', 'rate_limited', 'blocked_term', 'slow_mode', 'too_many_rooms', 'invalid'] as const;
export type RefusalReason = (typeof refusalReasons)[number];

/**
 * Why a WebSocket handshake was refused (the `reason` of chatorbit_ws_handshake_refusals_total):
 * the connection limits (close code 4429), the token (4401), a deactivated account (4403), a
 * backend that could not be asked (1013), a /ws/chat room name that is not one (4400).
 */
export const handshakeRefusalReasons = [
  'handshake_rate',
  'connections_per_ip',
  'connections_per_user',
  'unauthorized',
  'deactivated',
  'unavailable',
  'invalid_room',
] as const;
export type HandshakeRefusalReason = (typeof handshakeRefusalReasons)[number];

/** The refusal an error frame stands for; undefined for a server-side failure (`unavailable`). */
export function refusalReason(code: WsErrorCode): RefusalReason | undefined {
  switch (code) {
    case 'banned':
    case 'rate_limited':
    case 'blocked_term':
    case 'slow_mode':
    case 'too_many_rooms':
      return code;
    case 'unavailable':
      return undefined;
    default:
      return 'invalid';
  }
}

/** Latency buckets from 1 ms to 10 s (a send's round trip, a delivery across nodes). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a gauge reads when scraped; set by the code that owns the state (the node, the app). */
export interface ChatMetricSources {
  /** Rooms with at least one local member. */
  rooms(): number;
  /** Local room memberships (a socket in three rooms counts three). */
  members(): number;
  /** Presence on this node, summed over its rooms (a person in two rooms counts twice). */
  presence?: () => Iterable<{ viewers: number; users: number; guests: number }>;
  /** The persistence stream's backlog (Redis engine only). */
  persistLag?: () => Promise<{ entries: number; seconds: number }>;
}

/**
 * The chat metrics, in this app's registry. Labels never carry a room, user or message id: the
 * only labels are bounded sets (error codes, refusal reasons, moderation actions, frame kinds).
 */
export function createChatMetrics(registry: Registry) {
  const registers = [registry];
  const sources: ChatMetricSources = { rooms: () => 0, members: () => 0 };
  // Both lag gauges read one answer when collected together (one round trip per scrape).
  let lag: Promise<{ entries: number; seconds: number } | undefined> | undefined;
  const readLag = () =>
    (lag ??= (sources.persistLag?.() ?? Promise.resolve(undefined)).catch(() => undefined).finally(() => (lag = undefined)));
  const metrics = {
    sources,
    connections: new Gauge({ name: 'chatorbit_ws_connections_open', help: 'Open WebSocket connections.', registers }),
    connectionsTotal: new Counter({
      name: 'chatorbit_ws_connections_accepted_total',
      help: 'WebSocket connections accepted (authenticated).',
      registers,
    }),
    joins: new Counter({
      name: 'chatorbit_room_joins_total',
      help: 'Rooms joined by local sockets; kind=resume for a join with `since`.',
      labelNames: ['kind'] as const,
      registers,
    }),
    roomsActive: new Gauge({
      name: 'chatorbit_rooms_active',
      help: 'Rooms with at least one member on this node (each is one pub/sub subscription).',
      registers,
      collect() {
        this.set(sources.rooms());
      },
    }),
    members: new Gauge({
      name: 'chatorbit_room_members',
      help: 'Room memberships of local sockets (a socket in three rooms counts three).',
      registers,
      collect() {
        this.set(sources.members());
      },
    }),
    messagesSent: new Counter({
      name: 'chatorbit_messages_accepted_total',
      help: 'Messages in: sent by local clients, accepted, stored and published (duplicates not counted).',
      registers,
    }),
    duplicates: new Counter({
      name: 'chatorbit_messages_duplicate_total',
      help: 'Sends acknowledged as a repeat of an earlier (user, nonce): nothing new was stored.',
      registers,
    }),
    busMessages: new Counter({
      name: 'chatorbit_messages_fanned_out_total',
      help: 'Messages out: messages of rooms with local members, received from the bus to be written to those members.',
      registers,
    }),
    deliveries: new Counter({
      name: 'chatorbit_message_deliveries_total',
      help: 'Messages handed to local sockets (a batch frame of n messages to m members counts n×m).',
      registers,
    }),
    framesWritten: new Counter({
      name: 'chatorbit_fanout_frames_total',
      help: 'Message and batch frames written to local sockets (one per member per frame), by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'chatorbit_fanout_batch_messages',
      help: 'Messages per frame built for a room (1 = sent at once; more = a batch window of a busy room).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    }),
    sendAck: new Histogram({
      name: 'chatorbit_send_ack_duration_seconds',
      help: 'From a send frame read to its ack written (checks, the send script, replica WAIT).',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    publishDeliver: new Histogram({
      name: 'chatorbit_publish_deliver_duration_seconds',
      help: "From a message's acceptance on its sender's node (its ts) to its frame written on this node; one observation per message per node, batch window included.",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    refusals: new Counter({
      name: 'chatorbit_refusals_total',
      help: 'Client frames refused, by reason: banned, rate_limited, blocked_term, slow_mode, too_many_rooms, invalid (malformed, too large, not joined).',
      labelNames: ['reason'] as const,
      registers,
    }),
    handshakeRefusals: new Counter({
      name: 'chatorbit_ws_handshake_refusals_total',
      help: 'WebSocket handshakes (/ws and /ws/chat) accepted only to be closed at once, by reason: handshake_rate, connections_per_ip, connections_per_user (4429), unauthorized (4401), deactivated (4403), unavailable (1013), invalid_room (4400).',
      labelNames: ['reason'] as const,
      registers,
    }),
    frameErrors: new Counter({
      name: 'chatorbit_ws_frame_errors_total',
      help: 'Error frames sent, by error code (refusals and `unavailable` backend failures).',
      labelNames: ['code'] as const,
      registers,
    }),
    slowConsumers: new Counter({
      name: 'chatorbit_ws_slow_consumers_total',
      help: 'Sockets closed with 4508 for falling more than MAX_BUFFERED_BYTES behind.',
      registers,
    }),
    moderationActions: new Counter({
      name: 'chatorbit_moderation_actions_total',
      help: 'Moderation actions taken through this node (ban, timeout, unban, message_delete, …), by scope (room or global).',
      labelNames: ['action', 'scope'] as const,
      registers,
    }),
    persisted: new Counter({
      name: 'chatorbit_persister_messages_total',
      help: 'Messages this node moved from the persistence stream into MongoDB.',
      registers,
    }),
    persistFailures: new Counter({
      name: 'chatorbit_persister_failures_total',
      help: 'Failed persister batches (each is retried; nothing is dropped).',
      registers,
    }),
    persistBatch: new Histogram({
      name: 'chatorbit_persister_batch_duration_seconds',
      help: 'Time to write one persister batch to MongoDB and acknowledge it in Redis.',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    persistLagEntries: new Gauge({
      name: 'chatorbit_persister_lag_entries',
      help: 'Accepted messages not yet in MongoDB (the persistence stream, cluster-wide; Redis engine only).',
      registers,
      async collect() {
        const read = await readLag();
        if (read) this.set(read.entries);
      },
    }),
    persistLagSeconds: new Gauge({
      name: 'chatorbit_persister_lag_seconds',
      help: 'Age of the oldest accepted message not yet in MongoDB, 0 when none (cluster-wide; Redis engine only).',
      registers,
      async collect() {
        const read = await readLag();
        if (read) this.set(read.seconds);
      },
    }),
    presence: new Gauge({
      name: 'chatorbit_presence_local',
      help: 'Presence on this node summed over its rooms, by kind: viewers (sockets), users (distinct signed-in people per room), guests (distinct guests per room).',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const total = { viewers: 0, users: 0, guests: 0 };
        for (const counts of sources.presence?.() ?? []) {
          total.viewers += counts.viewers;
          total.users += counts.users;
          total.guests += counts.guests;
        }
        for (const [kind, value] of Object.entries(total)) this.set({ kind }, value);
      },
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
  // Every known label value starts at 0: a panel or alert sees the series (and rate() works)
  // before the first event of its kind.
  for (const kind of ['join', 'resume']) metrics.joins.inc({ kind }, 0);
  for (const kind of ['message', 'batch']) metrics.framesWritten.inc({ kind }, 0);
  for (const reason of refusalReasons) metrics.refusals.inc({ reason }, 0);
  for (const reason of handshakeRefusalReasons) metrics.handshakeRefusals.inc({ reason }, 0);
  for (const code of wsErrorCodes) metrics.frameErrors.inc({ code }, 0);
  for (const action of auditActions) for (const scope of ['room', 'global']) metrics.moderationActions.inc({ action, scope }, 0);
  return metrics;
}
export type ChatMetrics = ReturnType<typeof createChatMetrics>;

/** Counts a frame fan-out wrote: deliveries, frames, batch size, and each message's publish→deliver time. */
export function observeFrame(metrics: ChatMetrics, members: number, messages: number, carried: readonly { ts: number }[]) {
  metrics.batchSize.observe(messages);
  if (members === 0) return;
  metrics.deliveries.inc(members * messages);
  metrics.framesWritten.inc({ kind: messages === 1 ? 'message' : 'batch' }, members);
  const now = Date.now();
  // Clamped: the sender's clock may run a little ahead of this node's.
  for (const message of carried) metrics.publishDeliver.observe(Math.max(0, now - message.ts) / 1000);
}

/** Counts an error frame: by code, and as a refusal when it is one. */
export function countFrameError(metrics: ChatMetrics, code: WsErrorCode) {
  metrics.frameErrors.inc({ code });
  const reason = refusalReason(code);
  if (reason) metrics.refusals.inc({ reason });
}
