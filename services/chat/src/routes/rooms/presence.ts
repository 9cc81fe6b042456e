import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorResponse, RoomName } from '@chatorbit/shared';
import type { PresenceStore } from '../../presence/store.ts';
import { roomRoles, type ModerationStore } from '../../moderation/moderation.ts';

const tags = ['presence'];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 503: ErrorResponse };

const Counts = {
  viewers: Type.Integer({ minimum: 0, description: 'Open sockets in the room, over every chat node (one person with three tabs: three).' }),
  users: Type.Integer({
    minimum: 0,
    description:
      'Distinct signed-in users. Exact for rooms with a member list; above that, the sum over chat nodes of their distinct users (someone connected to two nodes counts twice).',
  }),
  guests: Type.Integer({ minimum: 0, description: 'Distinct guests (tokens with the `guest` role), counted like `users`.' }),
};

const PresenceView = Type.Object(
  { room: Type.String(), ...Counts },
  { examples: [{ room: 'launch-stream', viewers: 18250, users: 12011, guests: 5873 }] },
);

const MemberView = Type.Object({
  userId: Type.String(),
  name: Type.String(),
  guest: Type.Boolean(),
  role: Type.Union([Type.Enum(roomRoles), Type.Null()], { description: "The member's room role (owner, moderator, vip), if any." }),
});

const MembersPage = Type.Object(
  {
    room: Type.String(),
    viewers: Type.Integer({ minimum: 0 }),
    members: Type.Array(MemberView, { description: 'Each person once, in user-id order.' }),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
  },
  {
    examples: [{
      room: 'launch-stream',
      viewers: 3,
      members: [
        { userId: '6b06c78ae2619c28f5ae9e49', name: 'ada', guest: false, role: 'owner' },
        { userId: '6b06c78ae2619c28f5ae9e4a', name: 'grace', guest: false, role: null },
      ],
      nextCursor: '6b06c78ae2619c28f5ae9e4a',
    }],
  },
);

const RoomsPage = Type.Object(
  {
    rooms: Type.Array(Type.Object({ room: Type.String(), ...Counts }), { description: 'Most viewers first; rooms with as many, by name.' }),
    total: Type.Integer({ minimum: 0, description: 'Active rooms (with at least one viewer) in all.' }),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
  },
  { examples: [{ rooms: [{ room: 'launch-stream', viewers: 18250, users: 12011, guests: 5873 }, { room: 'lobby', viewers: 40, users: 38, guests: 2 }], total: 2, nextCursor: null }] },
);

/**
 * Presence: a room's viewer count, its member list (small rooms), and the active rooms by
 * viewers. Any valid token may read them, a guest's included.
 */
export const presenceRoutes: FastifyPluginAsyncTypebox<{ presence: PresenceStore; moderation: ModerationStore; memberListMax: number }> = async (
  app,
  { presence, moderation, memberListMax },
) => {
  app.addHook('onRequest', app.authenticate);

  app.get('/api/v1/rooms/:room/presence', {
    schema: {
      tags,
      summary: "A room's viewers, signed-in users and guests, over every chat node",
      description:
        'Costs O(chat nodes) whatever the size of the room. Counts follow joins within one heartbeat (PRESENCE_HEARTBEAT_MS); a chat node that dies drops out within three. A room nobody is in has zeros.',
      params: Type.Object({ room: RoomName }),
      response: { 200: PresenceView, ...errors },
    },
  }, async (request) => {
    const { viewers, users, guests } = await presence.room(request.params.room, false);
    return { room: request.params.room, viewers, users, guests };
  });

  app.get('/api/v1/rooms/:room/members', {
    schema: {
      tags,
      summary: "A page of a room's members with their room roles (rooms up to PRESENCE_MEMBER_LIST_MAX viewers)",
      description:
        `Everyone in the room, once each, in user-id order; follow \`nextCursor\`. Only for rooms with at most PRESENCE_MEMBER_LIST_MAX (default 1000) viewers; a bigger room answers 409 \`room_too_large\` (use /presence for its counts).`,
      params: Type.Object({ room: RoomName }),
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: '`nextCursor` of the previous page: members after this user id.' })),
      }),
      response: { 200: MembersPage, 409: ErrorResponse, ...errors },
    },
  }, async (request) => {
    const { room } = request.params;
    const { limit, cursor } = request.query;
    const [found, roles] = await Promise.all([presence.room(room, true), moderation.roles(room)]);
    if (!found.members) {
      throw new AppError(409, 'room_too_large', `the room has ${found.viewers} viewers; member lists are kept for rooms of at most ${memberListMax}`);
    }
    const roleOf = new Map(roles.map((r) => [r.userId, r.role]));
    const after = cursor === undefined ? found.members : found.members.filter((m) => m.userId > cursor);
    const page = after.slice(0, limit).map((m) => ({ ...m, role: roleOf.get(m.userId) ?? null }));
    return { room, viewers: found.viewers, members: page, nextCursor: after.length > limit ? page.at(-1)!.userId : null };
  });

  app.get('/api/v1/rooms', {
    schema: {
      tags,
      summary: 'Active rooms, most viewers first',
      description:
        'Rooms with at least one viewer, from a summary of every chat node refreshed at most every half heartbeat. Pages are positions in a ranking that moves: a room may shift between two pages.',
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
        cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: '`nextCursor` of the previous page.' })),
      }),
      response: { 200: RoomsPage, ...errors },
    },
  }, async (request) => {
    const { limit } = request.query;
    const offset = Number(request.query.cursor ?? 0);
    const { rooms, total } = await presence.rooms(offset, limit);
    return { rooms, total, nextCursor: offset + rooms.length < total ? String(offset + rooms.length) : null };
  });
};
