import type { TSchema } from 'typebox';
import { closeCodes, wsErrorCodes, type WsErrorCode } from './codes.ts';
import { clientFrameSchemas, ServerFrame, ROOM_PATTERN } from './frames.ts';
import { COMPAT_DEFAULT_ROOM, CompatErrorFrame, CompatMessage, CompatPostFrame } from './compat.ts';

/**
 * The WebSocket protocols as an AsyncAPI 3.0 document, built from the same TypeBox schemas the
 * server validates frames with (frames.ts, compat.ts) and the codes in codes.ts. Served by the
 * gateway at /asyncapi.json and written to docs/asyncapi.json (`pnpm docs:asyncapi`; a test fails
 * when that file is stale). docs/PROTOCOL.md is the prose version.
 */

/** What each close code means and what a client should do; one entry per code in closeCodes. */
export const closeCodeDocs: { [K in keyof typeof closeCodes]: { meaning: string; action: string } } = {
  normal: { meaning: 'normal closure', action: '—' },
  goingAway: {
    meaning: 'going away: the chat node or the gateway is shutting down (deploy, scale-in)',
    action: 'reconnect now; another node takes the socket (v1: re-join with `since`)',
  },
  invalidPayload: { meaning: 'a text frame that is not valid UTF-8', action: 'fix the client' },
  messageTooBig: { meaning: 'a frame over 4 × MAX_FRAME_BYTES (the hard limit)', action: 'fix the client' },
  internalError: { meaning: 'unexpected server error', action: 'reconnect with backoff' },
  tryAgainLater: {
    meaning:
      'try again later: the gateway could not reach a chat node (or it dropped without a close frame), or the token could not be checked because the auth keys were unreachable, or the account could not be checked for a deactivation (Redis unreachable)',
    action: 'reconnect with backoff (the token may be fine)',
  },
  badRequest: { meaning: '/ws/chat only: `room_id` (or `roomId`) in the URL is not a valid room name', action: 'fix the URL, then reconnect' },
  unauthorized: { meaning: 'no token, or an invalid or expired one', action: 'get a new token, then reconnect' },
  accountDeactivated: {
    meaning: 'account deactivated: an admin deactivated this account; its sockets on every node are closed, new ones refused',
    action: 'do not reconnect; tell the user (logins and refreshes are refused too)',
  },
  tooManyConnections: {
    meaning:
      'too many connections: this address opened more than HANDSHAKES_PER_SEC_PER_IP sockets per second (twice that in a burst), or has MAX_CONNECTIONS_PER_IP sockets open on this chat node, or this account has MAX_CONNECTIONS_PER_USER open there (the reason says which); refused before the token is checked, except the per-account one',
    action: 'reconnect with backoff (seconds, growing); for the per-account limit close another tab or socket first',
  },
  slowConsumer: {
    meaning: 'slow consumer: more than MAX_BUFFERED_BYTES waited unsent to this socket; the server stopped queueing for it',
    action: 'reconnect (v1: resume with `since`)',
  },
};

/** What each error code of `error` frames (and /ws/chat error frames) means. */
export const wsErrorCodeDocs: Record<WsErrorCode, string> = {
  invalid_json: 'the frame is not JSON',
  invalid_frame: 'JSON, but not an object of the declared shape (missing or mistyped field, binary frame)',
  unknown_type: '`type` names no client frame (v1)',
  frame_too_large: 'over MAX_FRAME_BYTES (default 64 KiB)',
  invalid_room: `room name outside ${ROOM_PATTERN}`,
  invalid_text: 'empty/blank, or over MAX_TEXT_LENGTH characters',
  not_joined: 'send/leave for a room this socket has not joined (/ws/chat: the socket is in no room and the frame names none)',
  unavailable: 'a backend (Redis, MongoDB) failed; nothing was stored; retry',
  banned: 'the user is banned from the room (or everywhere); `until`: when it ends (ms since the epoch), null = never',
  rate_limited: 'too many messages in this room, or too many frames on this socket; `retryAfterMs` / `retry_after_ms`: when the next one is accepted',
  slow_mode: 'the room is in slow mode; `retryAfterMs` / `retry_after_ms`: when this user may post again',
  blocked_term: 'the text contains a word or pattern blocked in the room or everywhere',
  too_many_rooms: 'a join past MAX_ROOMS_PER_CONNECTION (default 50) rooms on one socket: leave a room first, or open another socket',
  guest_read_only: "the token is a guest's (`guest` role): it may join and read, never send (/ws/chat: the frame still moves the socket); sign in to post",
};

const v1Summaries: Record<string, string> = {
  join: 'Join a room (with `since`: resume, replaying every message after that seq)',
  leave: 'Leave a room',
  send: 'Post to a joined room; idempotent per (user, nonce)',
  ping: 'Application-level ping',
  joined: 'The join took effect: the room\'s latest seq and recent history, oldest first',
  left: 'The leave took effect',
  message: 'A message posted to a joined room (the sender\'s own included)',
  batch: 'Several messages of a busy room in one frame',
  ack: 'A send was accepted: stored and published',
  error: 'A frame was refused; nothing it asked for happened',
  pong: 'Answer to `ping`',
  banned: 'This user was banned or timed out from the room; the socket left it',
  settings: 'The room\'s settings (after `joined`, and when they change)',
  deleted: 'A moderator deleted a message',
  cleared: 'A moderator cleared the room',
  purged: 'A banned user\'s recent messages were removed',
};

type Json = Record<string, unknown>;

/** A schema as plain JSON (TypeBox keeps its own bookkeeping out of JSON). */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

/** The `type` literal of a frame schema (an object, or an intersection whose first part has it). */
function frameType(schema: Json): string {
  const direct = (schema.properties as Json | undefined)?.type as Json | undefined;
  if (typeof direct?.const === 'string') return direct.const;
  for (const part of (schema.allOf as Json[] | undefined) ?? []) {
    const type = frameType(part);
    if (type) return type;
  }
  return '';
}

function message(name: string, title: string, summary: string, payload: Json): Json {
  const examples = Array.isArray(payload.examples) ? payload.examples.map((example) => ({ payload: example })) : undefined;
  return {
    name,
    title,
    summary,
    contentType: 'application/json',
    payload,
    ...(typeof payload.description === 'string' ? { description: payload.description } : {}),
    ...(examples ? { examples } : {}),
  };
}

export interface AsyncApiOptions {
  /** Where clients connect, e.g. the gateway's host:port; default localhost:8080 (`pnpm start`). */
  host?: string;
  protocol?: 'ws' | 'wss';
}

export function buildAsyncApi(options: AsyncApiOptions = {}): Json {
  const messages: Json = {};
  const v1Client: string[] = [];
  const v1Server: string[] = [];
  for (const [type, schema] of Object.entries(clientFrameSchemas)) {
    const name = `client.${type}`;
    messages[name] = message(type, `${type} (client → server)`, v1Summaries[type] ?? type, plain(schema));
    v1Client.push(name);
  }
  for (const schema of (plain(ServerFrame).anyOf as Json[]) ?? []) {
    const type = frameType(schema);
    const name = `server.${type}`;
    messages[name] = message(type, `${type} (server → client)`, v1Summaries[type] ?? type, schema);
    v1Server.push(name);
  }
  messages['compat.post'] = message('post', 'post (client → server, /ws/chat)', 'Post a message; naming another room moves the socket there first', plain(CompatPostFrame));
  messages['compat.message'] = message('message', 'message (server → client, /ws/chat)', 'A message posted to the socket\'s room, its own included', plain(CompatMessage));
  messages['compat.error'] = message('error', 'error (server → client, /ws/chat)', 'A frame was refused; nothing was posted', plain(CompatErrorFrame));

  const refs = (names: string[]) => Object.fromEntries(names.map((n) => [n.split('.')[1]!, { $ref: `#/components/messages/${n}` }]));
  const channelRefs = (channel: string, names: string[]) => names.map((n) => ({ $ref: `#/channels/${channel}/messages/${n.split('.')[1]!}` }));
  const closeCodeList = Object.entries(closeCodeDocs).map(([name, doc]) => ({ code: closeCodes[name as keyof typeof closeCodes], name, ...doc }));
  const token = { type: 'string', description: 'An access token (JWT). `Authorization: Bearer` wins when both are given.' };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'ChatOrbit WebSocket protocols',
      version: '1',
      description: [
        'Two protocols on the same rooms and messages: **v1** on `/ws` (typed frames, several rooms per socket, resume) and the',
        "original frontend's protocol on `/ws/chat` (one room at a time, bare frames). A message posted on either is delivered on both.",
        'Operations are described from the server\'s side: `receive` = frames clients send, `send` = frames the server sends.',
        'The prose version is docs/PROTOCOL.md.',
        '',
        '**Close codes** (also in `x-close-codes`): 1000–1015 standard; 4400–4499 like HTTP 4xx (change something before reconnecting); 4500–4999 like HTTP 5xx (transient: reconnect with backoff).',
        '',
        '| code | meaning | client should |',
        '|---|---|---|',
        ...closeCodeList.map((c) => `| ${c.code} | ${c.meaning} | ${c.action} |`),
        '',
        '**Error codes** of error frames (also in `x-error-codes`):',
        '',
        '| code | meaning |',
        '|---|---|',
        ...wsErrorCodes.map((code) => `| \`${code}\` | ${wsErrorCodeDocs[code]} |`),
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: options.host ?? 'localhost:8080',
        protocol: options.protocol ?? 'ws',
        description: 'The gateway (a chat node directly speaks the same protocols).',
      },
    },
    channels: {
      v1: {
        address: '/ws',
        title: 'v1 protocol',
        description:
          'Join rooms, post, receive. Without a valid token the socket is accepted and closed at once with 4401. Pinged every PING_INTERVAL_MS (25 s); a socket that has not answered the previous ping is dropped.',
        messages: refs([...v1Client, ...v1Server]),
        bindings: {
          ws: {
            method: 'GET',
            query: { type: 'object', properties: { token } },
            headers: { type: 'object', properties: { Authorization: { type: 'string', description: 'Bearer <access token>' } } },
          },
        },
      },
      compat: {
        address: '/ws/chat',
        title: "The original frontend's protocol",
        description:
          `The socket starts in \`room_id\` (or \`roomId\`; default \`${COMPAT_DEFAULT_ROOM}\`). A post naming another room moves the socket there, then posts; ` +
          'every message of its room arrives in the original shape, with the real id, the sender\'s own included. Without a valid token: closed with 4401; ' +
          'a room name outside the pattern: 4400. Pinged every 10 s (COMPAT_PING_INTERVAL_MS); dropped after 25 s without an answer (COMPAT_PONG_TIMEOUT_MS).',
        messages: refs(['compat.post', 'compat.message', 'compat.error']),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                token,
                room_id: { type: 'string', pattern: ROOM_PATTERN, description: `The first room (default \`${COMPAT_DEFAULT_ROOM}\`).` },
                roomId: { type: 'string', pattern: ROOM_PATTERN, description: 'Same as room_id.' },
              },
            },
            headers: { type: 'object', properties: { Authorization: { type: 'string', description: 'Bearer <access token>' } } },
          },
        },
      },
    },
    operations: {
      receiveV1: { action: 'receive', channel: { $ref: '#/channels/v1' }, summary: 'Frames a v1 client sends', messages: channelRefs('v1', v1Client) },
      sendV1: { action: 'send', channel: { $ref: '#/channels/v1' }, summary: 'Frames the server sends a v1 client', messages: channelRefs('v1', v1Server) },
      receiveCompat: { action: 'receive', channel: { $ref: '#/channels/compat' }, summary: 'Frames the original frontend sends', messages: channelRefs('compat', ['compat.post']) },
      sendCompat: {
        action: 'send',
        channel: { $ref: '#/channels/compat' },
        summary: 'Frames the server sends the original frontend',
        messages: channelRefs('compat', ['compat.message', 'compat.error']),
      },
    },
    components: { messages },
    'x-close-codes': closeCodeList,
    'x-error-codes': wsErrorCodes.map((code) => ({ code, meaning: wsErrorCodeDocs[code] })),
  };
}

/** docs/asyncapi.json as written by `pnpm docs:asyncapi`. */
export const renderAsyncApi = () => `${JSON.stringify(buildAsyncApi(), null, 2)}\n`;

if (import.meta.main) process.stdout.write(renderAsyncApi());
