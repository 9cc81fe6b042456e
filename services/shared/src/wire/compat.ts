import { Type, type Static } from 'typebox';
import { wsErrorCodes } from './codes.ts';
import type { Message } from './frames.ts';

/**
 * The original frontend's socket, GET /ws/chat (COMPAT.md): bare JSON objects without a `type`,
 * one room per connection, the room switched by naming another one in a frame. It shares rooms
 * and messages with the v1 protocol: a message posted on either is delivered on both.
 */

/** Where a /ws/chat connection starts when the URL names no room. */
export const COMPAT_DEFAULT_ROOM = 'general';
/** Messages GET /chat/history/:roomID returns. */
export const COMPAT_HISTORY_LIMIT = 50;

export const CompatPostFrame = Type.Object(
  {
    room_id: Type.Optional(
      Type.String({
        description:
          'The room to post to. A room other than the connection\'s current one moves the connection there first (it stops receiving the old room). Absent or empty: the current room.',
      }),
    ),
    content: Type.String({ description: 'The message text: not blank, at most MAX_TEXT_LENGTH (default 500) characters.' }),
  },
  {
    description: 'Client → server on /ws/chat: post a message (other properties are ignored).',
    examples: [{ room_id: 'general', content: 'hello' }],
  },
);
export type CompatPostFrame = Static<typeof CompatPostFrame>;

const Timestamp = Type.String({
  format: 'date-time',
  description: 'When the server accepted the message: RFC 3339, UTC, millisecond precision.',
});

export const CompatMessage = Type.Object(
  {
    id: Type.String({ description: 'The message id (24-hex ObjectId), the same as in the v1 protocol and history.' }),
    room_id: Type.String(),
    user_id: Type.String({ description: "The sender's account id (24-hex). The sender receives its own message too." }),
    content: Type.String(),
    timestamp: Timestamp,
  },
  {
    description: 'A message, as /ws/chat sends it and GET /chat/history/:roomID lists it.',
    examples: [{ id: '665f1c2e9b1e8a3d4c5b6a79', room_id: 'general', user_id: '665f1c2e9b1e8a3d4c5b6a70', content: 'hello', timestamp: '2025-06-04T12:00:00.000Z' }],
  },
);
export type CompatMessage = Static<typeof CompatMessage>;

export const CompatErrorFrame = Type.Object(
  {
    error: Type.String({ description: 'What was refused and why, as text.' }),
    code: Type.Enum(wsErrorCodes, { description: 'The same codes as v1 `error` frames.' }),
    room_id: Type.String({ description: "The connection's room after the refused frame (a refused move leaves it where it was)." }),
    user_id: Type.String({
      description: "The receiver's own id: the original frontend drops frames carrying it, so the error never shows up there as a message.",
    }),
    timestamp: Type.String({ format: 'date-time', description: 'Server time of the refusal (RFC 3339).' }),
    until: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'With `banned`: when the ban ends (ms since the epoch); null = permanent.' })),
    retry_after_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'With `rate_limited` and `slow_mode`: wait this long before posting again.' })),
  },
  {
    description: 'Server → client on /ws/chat: a frame was refused; nothing was posted, nothing else changed. Only the sender gets it.',
    examples: [{ error: 'content must not be empty', code: 'invalid_text', room_id: 'general', user_id: '665f1c2e9b1e8a3d4c5b6a70', timestamp: '2025-06-04T12:00:00.000Z' }],
  },
);
export type CompatErrorFrame = Static<typeof CompatErrorFrame>;

/** A stored message in the original API's shape. */
export function toCompatMessage(message: Message): CompatMessage {
  return {
    id: message.id,
    room_id: message.room,
    user_id: message.user.id,
    content: message.text,
    timestamp: new Date(message.ts).toISOString(),
  };
}
