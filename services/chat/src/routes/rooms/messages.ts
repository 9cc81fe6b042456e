import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse, Message, RoomName } from '@chatorbit/shared';
import type { ChatNode } from '../../node.ts';

/** GET /api/v1/rooms/:room/messages: history pages, newest first, from the durable log. */
export const messagesRoutes: FastifyPluginAsyncTypebox<{ node: ChatNode }> = async (app, { node }) => {
  app.get(
    '/api/v1/rooms/:room/messages',
    {
      preHandler: app.authenticate,
      schema: {
        summary: "A page of a room's history, newest first",
        params: Type.Object({ room: RoomName }),
        querystring: Type.Object({
          before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only messages with seq below this.' })),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
        }),
        response: {
          200: Type.Object({
            messages: Type.Array(Message),
            nextBefore: Type.Union([Type.Integer(), Type.Null()], {
              description: 'Pass as `before` for the next older page; null when this page reached the start.',
            }),
          }),
          400: ErrorResponse,
          401: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request) => {
      const { room } = request.params;
      const { before, limit } = request.query;
      const messages = await node.history(room, before, limit);
      const oldest = messages.at(-1);
      return { messages, nextBefore: messages.length === limit && oldest && oldest.seq > 1 ? oldest.seq : null };
    },
  );
};
