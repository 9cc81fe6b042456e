import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BlockedTerms, forbidden, isGuest, principalOf, RoomName, RoomSettings } from '@chatorbit/shared';
import type { ModerationService } from '../../moderation/service.ts';
import type { Ban, RateLimit } from '../../moderation/moderation.ts';
import { AuditEntryView, AuditQuery, BanBody, BanView, RateLimitBody, RateLimitView, RoleBody, RoomParams, UserId, errors } from './schemas.ts';

const banView = (ban: Ban) => ({
  ...ban,
  remainingSec: ban.until === null ? null : Math.max(0, Math.ceil((ban.until - Date.now()) / 1000)),
});

const limitView = ({ limit, source }: { limit: RateLimit; source: 'room' | 'default' | 'config' }) => ({ ...limit, source });
const toLimit = (body: { messages: number; perSec: number; exempt?: RateLimit['exempt'] }): RateLimit => ({
  messages: body.messages,
  perSec: body.perSec,
  exempt: body.exempt ?? [],
});

const RoomUser = Type.Object({ room: RoomName, userId: UserId });
const tags = ['moderation'];

/**
 * The moderation API: bans and timeouts, room roles, rate limits, the audit log. Thin: the rules
 * are ModerationService's. Every route needs a token, and an account: guests get 403 on all of
 * them (they would otherwise create rooms and own them).
 */
export const moderationRoutes: FastifyPluginAsyncTypebox<{ moderation: ModerationService }> = async (app, { moderation }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', async (request) => {
    if (isGuest(principalOf(request))) throw forbidden('guests cannot use the moderation API; sign in');
  });

  // Bans and timeouts
  app.post('/api/v1/rooms/:room/bans', {
    schema: { tags, summary: 'Ban a user from a room; with durationSec, a timeout', description: "Takes effect on every chat node within a second: the user's sockets get `banned` and leave the room; joins and sends are refused with `banned`.", params: RoomParams, body: BanBody, response: { 201: Type.Object({ ban: BanView }), ...errors } },
  }, async (request, reply) => reply.status(201).send({ ban: banView(await moderation.ban(principalOf(request), request.params.room, request.body)) }));

  app.delete('/api/v1/rooms/:room/bans/:userId', {
    schema: { tags, summary: "Lift a user's ban or timeout in a room", params: RoomUser, response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    await moderation.unban(principalOf(request), request.params.room, request.params.userId);
    return reply.status(204).send(null);
  });

  app.get('/api/v1/rooms/:room/bans', {
    schema: { tags, summary: "A room's bans and timeouts, with the time left", params: RoomParams, response: { 200: Type.Object({ bans: Type.Array(BanView) }), ...errors } },
  }, async (request) => ({ bans: (await moderation.bans(principalOf(request), request.params.room)).map(banView) }));

  app.post('/api/v1/bans', {
    schema: { tags, summary: 'Ban a user from every room (admins)', body: BanBody, response: { 201: Type.Object({ ban: BanView }), ...errors } },
  }, async (request, reply) => reply.status(201).send({ ban: banView(await moderation.ban(principalOf(request), null, request.body)) }));

  app.delete('/api/v1/bans/:userId', {
    schema: { tags, summary: 'Lift a global ban (admins)', params: Type.Object({ userId: UserId }), response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    await moderation.unban(principalOf(request), null, request.params.userId);
    return reply.status(204).send(null);
  });

  app.get('/api/v1/bans', {
    schema: { tags, summary: 'Global bans (admins)', response: { 200: Type.Object({ bans: Type.Array(BanView) }), ...errors } },
  }, async (request) => ({ bans: (await moderation.bans(principalOf(request), null)).map(banView) }));

  // Rooms and roles
  app.post('/api/v1/rooms', {
    schema: { tags, summary: 'Create a room: the caller becomes its owner (idempotent)', body: Type.Object({ room: RoomName }, { additionalProperties: false, examples: [{ room: 'launch-stream' }] }), response: { 200: Type.Object({ room: Type.String(), owner: Type.String() }), 201: Type.Object({ room: Type.String(), owner: Type.String() }), ...errors } },
  }, async (request, reply) => {
    const { owner, created } = await moderation.createRoom(principalOf(request), request.body.room);
    return reply.status(created ? 201 : 200).send({ room: request.body.room, owner });
  });

  app.get('/api/v1/rooms/:room/roles', {
    schema: { tags, summary: "A room's owner, moderators and VIPs", params: RoomParams, response: { 200: Type.Object({ roles: Type.Array(Type.Object({ userId: Type.String(), role: Type.String() })) }), ...errors } },
  }, async (request) => ({ roles: await moderation.roles(request.params.room) }));

  app.put('/api/v1/rooms/:room/roles/:userId', {
    schema: { tags, summary: 'Give a user a room role', description: 'moderator and vip: admins and the owner; owner: admins.', params: RoomUser, body: RoleBody, response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    await moderation.setRole(principalOf(request), request.params.room, request.params.userId, request.body.role);
    return reply.status(204).send(null);
  });

  app.delete('/api/v1/rooms/:room/roles/:userId', {
    schema: { tags, summary: "Take away a user's room role", params: RoomUser, response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    await moderation.setRole(principalOf(request), request.params.room, request.params.userId, undefined);
    return reply.status(204).send(null);
  });

  // Messages
  app.delete('/api/v1/rooms/:room/messages/:id', {
    schema: { tags, summary: 'Delete a message (the room\'s owner and moderators)', description: 'Hidden from history (soft-deleted in MongoDB) and from every member\'s view: `{"type":"deleted","room","id"}`.', params: Type.Object({ room: RoomName, id: Type.String({ pattern: '^[0-9a-f]{24}$' }) }), response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    await moderation.deleteMessage(principalOf(request), request.params.room, request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/api/v1/rooms/:room/clear', {
    schema: { tags, summary: "Clear a room's history (the room's owner and moderators)", description: 'Every message so far is hidden from history; members get `{"type":"cleared","room"}`.', params: RoomParams, response: { 200: Type.Object({ clearedUpTo: Type.Integer({ description: 'The last seq cleared.' }) }), ...errors } },
  }, async (request) => ({ clearedUpTo: await moderation.clearRoom(principalOf(request), request.params.room) }));

  // Settings
  app.get('/api/v1/rooms/:room/settings', {
    schema: { tags, summary: "A room's settings", params: RoomParams, response: { 200: RoomSettings, ...errors } },
  }, async (request) => moderation.settings(request.params.room));

  app.put('/api/v1/rooms/:room/settings', {
    schema: { tags, summary: "Change a room's settings (its owner and moderators)", description: 'The fields given replace those settings; the others stay. Every member on every node gets `{"type":"settings",…}` at once; slow mode and blocked terms apply to the next message. A pattern that could backtrack catastrophically is refused with 400.', params: RoomParams, body: Type.Partial(RoomSettings, { additionalProperties: false, examples: [{ slowModeSec: 10 }, { blockedTerms: ['spoiler'], blockedPatterns: ['bit\\.ly/\\w+'] }] }), response: { 200: RoomSettings, ...errors } },
  }, async (request) => moderation.setSettings(principalOf(request), request.params.room, request.body));

  app.get('/api/v1/settings', {
    schema: { tags, summary: 'The blocked terms of every room', response: { 200: BlockedTerms, ...errors } },
  }, async () => moderation.globalSettings());

  app.put('/api/v1/settings', {
    schema: { tags, summary: 'Change the blocked terms of every room (admins)', body: Type.Partial(BlockedTerms, { additionalProperties: false, examples: [{ blockedTerms: ['slur'] }] }), response: { 200: BlockedTerms, ...errors } },
  }, async (request) => moderation.setGlobalSettings(principalOf(request), request.body));

  // Rate limits
  app.get('/api/v1/rooms/:room/ratelimit', {
    schema: { tags, summary: "The rate limit in force in a room", params: RoomParams, response: { 200: RateLimitView, ...errors } },
  }, async (request) => limitView(await moderation.rateLimit(request.params.room)));

  app.put('/api/v1/rooms/:room/ratelimit', {
    schema: { tags, summary: "Set a room's rate limit (applies to the next message)", params: RoomParams, body: RateLimitBody, response: { 200: RateLimitView, ...errors } },
  }, async (request) => {
    await moderation.setRateLimit(principalOf(request), request.params.room, toLimit(request.body));
    return limitView(await moderation.rateLimit(request.params.room));
  });

  app.delete('/api/v1/rooms/:room/ratelimit', {
    schema: { tags, summary: "Remove a room's rate limit: the default applies again", params: RoomParams, response: { 200: RateLimitView, ...errors } },
  }, async (request) => {
    await moderation.setRateLimit(principalOf(request), request.params.room, undefined);
    return limitView(await moderation.rateLimit(request.params.room));
  });

  app.get('/api/v1/ratelimit', {
    schema: { tags, summary: 'The default rate limit', response: { 200: RateLimitView, ...errors } },
  }, async () => limitView(await moderation.rateLimit(null)));

  app.put('/api/v1/ratelimit', {
    schema: { tags, summary: 'Set the default rate limit (admins)', body: RateLimitBody, response: { 200: RateLimitView, ...errors } },
  }, async (request) => {
    await moderation.setRateLimit(principalOf(request), null, toLimit(request.body));
    return limitView(await moderation.rateLimit(null));
  });

  // Audit
  app.get('/api/v1/rooms/:room/audit', {
    schema: { tags, summary: "A room's moderation actions, newest first", params: RoomParams, querystring: AuditQuery, response: { 200: Type.Object({ entries: Type.Array(AuditEntryView), nextBefore: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
  }, async (request) => {
    const entries = await moderation.auditLog(principalOf(request), { ...request.query, room: request.params.room });
    return { entries, nextBefore: entries.length === request.query.limit ? entries.at(-1)!.id : null };
  });

  app.get('/api/v1/audit', {
    schema: { tags, summary: 'Every moderation action, newest first (admins)', querystring: AuditQuery, response: { 200: Type.Object({ entries: Type.Array(AuditEntryView), nextBefore: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
  }, async (request) => {
    const entries = await moderation.auditLog(principalOf(request), request.query);
    return { entries, nextBefore: entries.length === request.query.limit ? entries.at(-1)!.id : null };
  });

  app.post('/api/v1/audit/:id/undo', {
    schema: { tags, summary: 'Undo a ban or timeout by its audit entry', params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) }), response: { 200: Type.Object({ undone: AuditEntryView }), ...errors } },
  }, async (request) => ({ undone: await moderation.undo(principalOf(request), request.params.id) }));
};
