import { Type, type Static } from 'typebox';
import { wsErrorCodes } from './codes.ts';

/** Room names: what may appear in a URL path segment and a Redis hash tag without escaping. */
export const ROOM_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const roomNameRe = new RegExp(ROOM_PATTERN);
export const RoomName = Type.String({ pattern: ROOM_PATTERN, description: 'Room name: [A-Za-z0-9_-]{1,64}' });

const Nonce = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Client-chosen id of a send, echoed in its ack or error.',
});

export const UserRef = Type.Object({ id: Type.String(), name: Type.String() });
export type UserRef = Static<typeof UserRef>;

/** A stored chat message as clients see it, in `message` frames and in history. */
export const Message = Type.Object({
  id: Type.String({ description: 'Server-assigned id (24-hex ObjectId).' }),
  room: Type.String(),
  seq: Type.Integer({ minimum: 1, description: 'Per room: 1, 2, 3, … without gaps.' }),
  user: UserRef,
  text: Type.String(),
  ts: Type.Integer({ description: 'Server time the message was accepted, ms since the epoch.' }),
});
export type Message = Static<typeof Message>;

// client → server
export const JoinFrame = Type.Object({
  type: Type.Literal('join'),
  room: RoomName,
  since: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'Resume: the last seq this client saw; everything after it is replayed before live messages.',
    }),
  ),
});
export const LeaveFrame = Type.Object({ type: Type.Literal('leave'), room: RoomName });
export const SendFrame = Type.Object({
  type: Type.Literal('send'),
  room: RoomName,
  text: Type.String(),
  nonce: Nonce,
});
export const PingFrame = Type.Object({ type: Type.Literal('ping') });
export const clientFrameSchemas = { join: JoinFrame, leave: LeaveFrame, send: SendFrame, ping: PingFrame } as const;
export const ClientFrame = Type.Union([JoinFrame, LeaveFrame, SendFrame, PingFrame]);
export type ClientFrame = Static<typeof ClientFrame>;
export type ClientFrameType = keyof typeof clientFrameSchemas;

// server → client
export const JoinedFrame = Type.Object({
  type: Type.Literal('joined'),
  room: Type.String(),
  seq: Type.Integer({ minimum: 0, description: "The room's latest seq when the join took effect." }),
  history: Type.Array(Message, {
    description: 'Oldest first: the most recent messages, or with `since` every message after it.',
  }),
  recovered: Type.Optional(
    Type.Boolean({
      description:
        'Only with `since`: true when `history` holds every message after it (no gap); false when too many were missed, and `history` holds the most recent ones instead.',
    }),
  ),
});
export const LeftFrame = Type.Object({ type: Type.Literal('left'), room: Type.String() });
export const MessageFrame = Type.Intersect([Type.Object({ type: Type.Literal('message') }), Message]);
export const BatchFrame = Type.Object(
  {
    type: Type.Literal('batch'),
    room: Type.String(),
    messages: Type.Array(Message, { minItems: 1, description: 'In seq order.' }),
  },
  { description: "Several messages of one busy room in one frame (while the room's rate is above BATCH_MIN_RATE)." },
);
export const AckFrame = Type.Object({
  type: Type.Literal('ack'),
  nonce: Type.String(),
  id: Type.String(),
  seq: Type.Integer(),
});
export const ErrorFrame = Type.Object({
  type: Type.Literal('error'),
  code: Type.Enum(wsErrorCodes),
  message: Type.String(),
  nonce: Type.Optional(Type.String()),
  room: Type.Optional(Type.String()),
  until: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'With `banned`: when the ban ends (ms since the epoch); null = permanent.' })),
  retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, description: 'With `rate_limited`: wait this long before sending again.' })),
});
export const BannedFrame = Type.Object(
  {
    type: Type.Literal('banned'),
    room: Type.String(),
    until: Type.Union([Type.Integer(), Type.Null()], { description: 'When the ban ends (ms since the epoch); null = permanent.' }),
    reason: Type.String(),
  },
  { description: 'This user was banned or timed out: the socket has left the room.' },
);
export const PongFrame = Type.Object({ type: Type.Literal('pong') });
export const BlockedTerms = Type.Object({
  blockedTerms: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    maxItems: 500,
    description: 'Words or phrases refused in messages, whole words, ignoring case.',
  }),
  blockedPatterns: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: 100,
    description: 'Regular expressions refused in messages, ignoring case: RE2 syntax (JavaScript\'s without lookaround or backreferences), matched in time linear in the text; patterns with nested quantifiers are rejected.',
  }),
});
export type BlockedTerms = Static<typeof BlockedTerms>;
export const RoomSettings = Type.Object({
  slowModeSec: Type.Integer({ minimum: 0, maximum: 86_400, description: 'Slow mode: one message per this many seconds per user (moderators exempt); 0 = off.' }),
  slowModeUntil: Type.Integer({ minimum: 0, description: 'When slow mode ends by itself (ms since the epoch; set by automatic slow mode); 0 = when turned off.' }),
  autoSlowModeRate: Type.Integer({ minimum: 0, maximum: 100_000, description: 'Automatic slow mode: when the room passes this many messages per second, slow mode turns on; 0 = never.' }),
  autoSlowModeSec: Type.Integer({ minimum: 1, maximum: 3600, description: 'The slow mode automatic slow mode turns on (seconds between messages).' }),
  autoSlowModeForSec: Type.Integer({ minimum: 1, maximum: 86_400, description: 'How long automatic slow mode stays on.' }),
  ...BlockedTerms.properties,
});
export type RoomSettings = Static<typeof RoomSettings>;
export const SettingsFrame = Type.Intersect([Type.Object({ type: Type.Literal('settings'), room: Type.String() }), RoomSettings], {
  description: "The room's settings changed (also sent after `joined`).",
});
export const DeletedFrame = Type.Object(
  { type: Type.Literal('deleted'), room: Type.String(), id: Type.String() },
  { description: 'A moderator deleted this message: remove it from view.' },
);
export const ClearedFrame = Type.Object(
  { type: Type.Literal('cleared'), room: Type.String() },
  { description: "A moderator cleared the room's history: remove every message shown so far." },
);
export const PurgedFrame = Type.Object(
  { type: Type.Literal('purged'), room: Type.String(), userId: Type.String() },
  { description: "A banned user's recent messages were purged: remove this user's messages from view." },
);
export const PresenceFrame = Type.Object(
  {
    type: Type.Literal('presence'),
    room: Type.String(),
    viewers: Type.Integer({ minimum: 0, description: 'Open sockets in the room, over every chat node.' }),
  },
  {
    description:
      "The room's viewer count: at most once per PRESENCE_INTERVAL_MS, when it changed (and once to a socket that joined since the last one); never per join.",
  },
);
export const ServerFrame = Type.Union([
  JoinedFrame, LeftFrame, MessageFrame, BatchFrame, AckFrame, ErrorFrame, PongFrame, BannedFrame, SettingsFrame, DeletedFrame, ClearedFrame, PurgedFrame,
  PresenceFrame,
]);
export type JoinedFrame = Static<typeof JoinedFrame>;
export type MessageFrame = Static<typeof MessageFrame>;
export type BatchFrame = Static<typeof BatchFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type PresenceFrame = Static<typeof PresenceFrame>;
export type ServerFrame = Static<typeof ServerFrame>;
