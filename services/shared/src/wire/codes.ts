/**
 * Error codes carried by `{type:"error", code}` frames. A frame that fails with one of these
 * changes nothing on the server: no message is stored, no membership changes.
 */
export const wsErrorCodes = [
  'invalid_json', // the frame is not JSON
  'invalid_frame', // JSON, but not an object of the declared shape
  'unknown_type', // `type` names no client frame
  'frame_too_large', // over MAX_FRAME_BYTES (frames over the hard limit close the socket with 1009)
  'invalid_room', // room name outside [A-Za-z0-9_-]{1,64}
  'invalid_text', // empty (after trimming) or over MAX_TEXT_LENGTH characters
  'not_joined', // send/leave for a room the connection has not joined
  'unavailable', // a backend (Redis, MongoDB) failed; nothing was stored, retry with the same nonce
  'banned', // the user is banned from the room (or everywhere); `until` says when it ends (null: never)
  'rate_limited', // too many messages (or frames); `retryAfterMs` says when the next one is accepted
  'slow_mode', // the room is in slow mode; `retryAfterMs` says when this user may post again
  'blocked_term', // the text contains a term blocked in this room or everywhere
  'guest_read_only', // a guest (a token with the guest role, no account) may join and read, never send
  'too_many_rooms', // a join past MAX_ROOMS_PER_CONNECTION rooms on one socket; leave one first
] as const;
export type WsErrorCode = (typeof wsErrorCodes)[number];

/**
 * WebSocket close codes. Ranges, so a client knows what to do with a code it has never seen:
 * - 1000–1015 the standard ones (RFC 6455);
 * - 4400–4499 like HTTP 4xx: the client must change something (a new token, a smaller frame)
 *   before reconnecting; reconnecting unchanged fails the same way;
 * - 4500–4999 like HTTP 5xx: transient, reconnect with backoff.
 * 1001 (the server is shutting down) means: reconnect now; another node will take the socket.
 * What each code means to a client is in docs/PROTOCOL.md (a test checks every code is there).
 */
export const closeCodes = {
  normal: 1000,
  goingAway: 1001,
  invalidPayload: 1007,
  messageTooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  badRequest: 4400,
  unauthorized: 4401,
  accountDeactivated: 4403,
  tooManyConnections: 4429,
  slowConsumer: 4508,
} as const;
export type CloseCode = (typeof closeCodes)[keyof typeof closeCodes];
