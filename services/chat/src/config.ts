import { Type, type Static } from 'typebox';
import { commonConfig, storageConfig, verifierConfig } from '@chatorbit/shared';

export const chatConfigSchema = Type.Object({
  ...commonConfig(8083),
  ...storageConfig,
  ...verifierConfig,
  NODE_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      description: 'This chat node\'s id on the bus (default: hostname and pid, unique per process).',
    }),
  ),
  MAX_FRAME_BYTES: Type.Integer({
    default: 64 * 1024,
    minimum: 1024,
    maximum: 16 * 1024 * 1024,
    description:
      'Largest client frame accepted; a larger one gets error frame_too_large. Frames over four times this close the socket with 1009.',
  }),
  MAX_TEXT_LENGTH: Type.Integer({
    default: 500,
    minimum: 1,
    maximum: 10_000,
    description: 'Longest message text, in Unicode code points.',
  }),
  JOIN_HISTORY_LIMIT: Type.Integer({
    default: 50,
    minimum: 0,
    maximum: 100,
    description: 'How many recent messages a `joined` frame carries.',
  }),
  PING_INTERVAL_MS: Type.Integer({
    default: 25_000,
    minimum: 1_000,
    description: 'WebSocket ping period; a socket that has not answered the previous ping is dropped.',
  }),
  COMPAT_PING_INTERVAL_MS: Type.Integer({
    default: 10_000,
    minimum: 100,
    description: 'Ping period of the original frontend\'s socket (/ws/chat); the original pinged every 10 s.',
  }),
  COMPAT_PONG_TIMEOUT_MS: Type.Integer({
    default: 25_000,
    minimum: 200,
    description: 'A /ws/chat socket that has answered no ping (and sent nothing) for this long is dropped; the original waited 25 s.',
  }),
  RECENT_HISTORY_SIZE: Type.Integer({
    default: 1000,
    minimum: 10,
    maximum: 100_000,
    description: "How many of a room's newest messages Redis keeps (a stream per room); older pages come from MongoDB.",
  }),
  NONCE_TTL_SEC: Type.Integer({
    default: 300,
    minimum: 1,
    maximum: 86_400,
    description: 'Idempotency window: a send repeating a (user, nonce) within it gets the first send\'s id and seq.',
  }),
  RESUME_MAX_MESSAGES: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 100_000,
    description: 'Most messages a `join` with `since` replays; a client further behind gets recovered:false.',
  }),
  BATCH_WINDOW_MS: Type.Integer({
    default: 25,
    minimum: 0,
    maximum: 1000,
    description: 'In a busy room, messages within this window go out as one `batch` frame; 0 turns batching off.',
  }),
  BATCH_MIN_RATE: Type.Integer({
    default: 50,
    minimum: 1,
    description: 'Messages per second (as seen by this node) above which a room is batched.',
  }),
  MAX_BUFFERED_BYTES: Type.Integer({
    default: 1024 * 1024,
    minimum: 64 * 1024,
    description: 'A socket with more unsent bytes than this is a slow consumer: closed with 4508, so memory stays bounded.',
  }),
  PERSIST_BATCH_SIZE: Type.Integer({
    default: 500,
    minimum: 1,
    maximum: 10_000,
    description: 'Messages the persister moves from Redis to MongoDB per write.',
  }),
  PERSIST_CLAIM_IDLE_MS: Type.Integer({
    default: 30_000,
    minimum: 1000,
    description: 'A dead node\'s unwritten messages are taken over by another node after this long.',
  }),
  RATE_LIMIT_MESSAGES: Type.Integer({
    default: 20,
    minimum: 0,
    description: 'Default rate limit: messages per RATE_LIMIT_PER_SEC seconds per user per room (0 = none). Overridden at run time by PUT /api/v1/ratelimit and per room.',
  }),
  RATE_LIMIT_PER_SEC: Type.Integer({ default: 30, minimum: 1, maximum: 86_400, description: 'The window of RATE_LIMIT_MESSAGES, in seconds.' }),
  RATE_LIMIT_EXEMPT: Type.String({
    default: 'moderator',
    pattern: '^((moderator|vip)(,(moderator|vip))*)?$',
    description: 'Room roles the default rate limit does not apply to (comma-separated: moderator, vip; owners count as moderators).',
  }),
  MAX_FRAMES_PER_SEC: Type.Integer({
    default: 20,
    minimum: 1,
    description: 'Frames a socket may send per second (bursts of twice that); more are refused before they reach Redis.',
  }),
  MAX_CONNECTIONS_PER_IP: Type.Integer({
    default: 1000,
    minimum: 0,
    description:
      'Open WebSockets (/ws and /ws/chat together) one client address may hold on this chat node (IPv6: per /64; behind the gateway or an ingress, the address X-Forwarded-For names); more are closed with 4429. 0 = no limit.',
  }),
  MAX_CONNECTIONS_PER_USER: Type.Integer({
    default: 10,
    minimum: 0,
    description: 'Open WebSockets (/ws and /ws/chat together) one account (or guest token) may hold on this chat node; more are closed with 4429. 0 = no limit.',
  }),
  HANDSHAKES_PER_SEC_PER_IP: Type.Integer({
    default: 20,
    minimum: 0,
    description:
      'WebSocket handshakes one client address may start per second on this chat node (bursts of twice that); more are closed with 4429 before their token is checked. 0 = no limit.',
  }),
  MAX_ROOMS_PER_CONNECTION: Type.Integer({
    default: 50,
    minimum: 1,
    maximum: 10_000,
    description: 'Rooms one /ws socket may be in at once; a join past it gets the error too_many_rooms.',
  }),
  MESSAGE_RETENTION_DAYS: Type.Number({
    default: 0,
    minimum: 0,
    description: 'Messages older than this many days are deleted (each chat node sweeps hourly); 0 keeps every message forever.',
  }),
  PRESENCE_HEARTBEAT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 60_000,
    description:
      "How often each chat node writes its rooms' viewer counts to Redis. A node that stops (crash, SIGKILL) drops out of every count within three heartbeats.",
  }),
  PRESENCE_INTERVAL_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 600_000,
    description: 'How often a room\'s sockets are sent `{"type":"presence","room","viewers"}`: at most once per interval, when the count changed (and to sockets that joined since the last one).',
  }),
  PRESENCE_MEMBER_LIST_MAX: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 10_000,
    description: 'Rooms with at most this many viewers have a member list (GET /api/v1/rooms/:room/members); bigger rooms answer 409 room_too_large.',
  }),
});
export type ChatConfig = Static<typeof chatConfigSchema>;
