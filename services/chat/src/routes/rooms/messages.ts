import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorResponse, Message, RoomName } from '@chatorbit/shared';
import type { ChatNode } from '../../node.ts';

/**
 * GET /api/v1/rooms/:room/messages: history pages, newest first, recent ones from Redis and
 * older ones from MongoDB, as one sequence.
 */
export const messagesRoutes: FastifyPluginAsyncTypebox<{ node: ChatNode }> = async (app, { node }) => {
  app.get(
    '/api/v1/rooms/:room/messages',
    {
      preHandler: app.authenticate,
      schema: {
        summary: "A page of a room's history, newest first",
        description:
          'Without cursors: the newest `limit` messages. `before=<seq>` pages back (the `limit` messages just below it); ' +
          '`after=<seq>` pages forward (the `limit` messages just above it); both together bound a range. ' +
          'Follow `nextBefore` back and `nextAfter` forward.',
        params: Type.Object({ room: RoomName }),
        querystring: Type.Object({
          before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only messages with seq below this.' })),
          after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only messages with seq above this.' })),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
        }),
        response: {
          200: Type.Object({
            messages: Type.Array(Message, { description: 'Newest first.' }),
            nextBefore: Type.Union([Type.Integer(), Type.Null()], {
              description: 'Pass as `before` for the next older page; null when this page reached the start.',
            }),
            nextAfter: Type.Union([Type.Integer(), Type.Null()], {
              description: 'Pass as `after` for the next newer page; null when the page is empty.',
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
      const { before, after, limit } = request.query;
      if (before !== undefined && after !== undefined && before <= after + 1) {
        throw new AppError(400, 'invalid_query', '`before` must be above `after` + 1');
      }
      // Paging forward takes the messages just above `after`; otherwise the newest below `before`.
      const forward = after !== undefined && before === undefined;
      const { messages, raw } = await node.page(room, { after, before, limit, order: forward ? 'asc' : 'desc' });
      if (forward) messages.reverse();
      // Cursors come from the page as read, deleted messages included, so paging steps over them.
      const [oldest, newest] = forward ? [raw.first, raw.last] : [raw.last, raw.first];
      return {
        messages,
        nextBefore: oldest !== undefined && oldest > 1 && (forward || raw.count === limit) ? oldest : null,
        nextAfter: newest ?? null,
      };
    },
  );
};
