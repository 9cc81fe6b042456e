import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { COMPAT_HISTORY_LIMIT, CompatErrorResponse, CompatMessage, RoomName, compatSecurity, principalOf, toCompatMessage, useCompatErrors } from '@chatorbit/shared';
import type { ChatNode } from '../node.ts';
import type { ModerationService } from '../moderation/service.ts';
import type { PresenceStore } from '../presence/store.ts';

const tags = ['original API'];

/**
 * The original frontend's chat routes (COMPAT.md): history and presence without a token, and room creation.
 * Errors are `{ "error": "<message>" }`. Needs compatAuthPlugin registered first.
 */
export const compatChatRoutes: FastifyPluginAsyncTypebox<{ node: ChatNode; moderation: ModerationService; presence: PresenceStore }> = async (
  app,
  { node, moderation, presence },
) => {
  useCompatErrors(app);

  app.get(
    '/chat/history/:roomID',
    {
      schema: {
        tags,
        summary: "A room's latest messages, newest first (no token needed)",
        description:
          `Up to ${COMPAT_HISTORY_LIMIT} messages in the original shape, newest first; \`[]\` for a room without messages. ` +
          'The same messages as `GET /api/v1/rooms/:room/messages` (deleted ones left out).',
        security: [],
        params: Type.Object({ roomID: RoomName }),
        response: { 200: Type.Array(CompatMessage), 400: CompatErrorResponse, 503: CompatErrorResponse },
      },
    },
    async (request) => {
      const { messages } = await node.page(request.params.roomID, { limit: COMPAT_HISTORY_LIMIT, order: 'desc' });
      return messages.map(toCompatMessage);
    },
  );

  app.post(
    '/chat/rooms',
    {
      onRequest: app.authenticateCompat,
      schema: {
        tags,
        summary: 'Create a room (idempotent)',
        security: compatSecurity,
        description:
          'Token in `Authorization: Bearer` or the `token` cookie. The first caller becomes the room\'s owner (as with `POST /api/v1/rooms`); ' +
          'creating an existing room changes nothing and answers the same.',
        body: Type.Object({ room_id: RoomName }, { examples: [{ room_id: 'launch-stream' }] }),
        response: { 200: Type.Object({ room_id: Type.String() }), 400: CompatErrorResponse, 401: CompatErrorResponse, 503: CompatErrorResponse },
      },
    },
    async (request) => {
      await moderation.createRoom(principalOf(request), request.body.room_id);
      return { room_id: request.body.room_id };
    },
  );

  app.get(
    '/chat/rooms/:roomID/presence',
    {
      schema: {
        tags,
        summary: "How many are in a room (no token needed)",
        description:
          '`online` is the number of open sockets in the room on every chat node (the `viewers` of ' +
          '`GET /api/v1/rooms/:room/presence`), within one presence heartbeat; 0 for a room nobody is in.',
        security: [],
        params: Type.Object({ roomID: RoomName }),
        response: {
          200: Type.Object({ room_id: Type.String(), online: Type.Integer({ minimum: 0 }) }, { examples: [{ room_id: 'general', online: 42 }] }),
          400: CompatErrorResponse,
          503: CompatErrorResponse,
        },
      },
    },
    async (request) => {
      const { viewers } = await presence.room(request.params.roomID, false);
      return { room_id: request.params.roomID, online: viewers };
    },
  );
};
