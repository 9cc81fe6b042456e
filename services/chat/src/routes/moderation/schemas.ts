import { Type } from 'typebox';
import { ErrorResponse, RoomName } from '@chatorbit/shared';
import { auditActions } from '../../moderation/audit-log.ts';
import { exemptableRoles, roomRoles } from '../../moderation/moderation.ts';

export const UserId = Type.String({ pattern: '^[0-9a-f]{24}$', description: 'Account id (24-hex).' });
export const RoomParams = Type.Object({ room: RoomName });
export const Actor = Type.Object({ id: Type.String(), name: Type.String() });

export const BanBody = Type.Object(
  {
    userId: UserId,
    durationSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 14 * 86_400, description: 'A timeout of this many seconds (1 s to 14 days); absent = permanent.' })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    purge: Type.Optional(Type.Boolean({ description: "Room bans: also remove the user's messages still in the room's recent history; members get `purged`." })),
  },
  { additionalProperties: false, examples: [{ userId: '6b06c78ae2619c28f5ae9e49', durationSec: 600, reason: 'spam', purge: true }] },
);

export const BanView = Type.Object({
  userId: Type.String(),
  room: Type.Union([Type.String(), Type.Null()], { description: 'null: a global ban.' }),
  until: Type.Union([Type.Integer(), Type.Null()], { description: 'When it ends (ms since the epoch); null = permanent.' }),
  remainingSec: Type.Union([Type.Integer(), Type.Null()], { description: 'Seconds left; null = permanent.' }),
  reason: Type.String(),
  by: Actor,
  at: Type.Integer(),
});

export const RoleBody = Type.Object(
  { role: Type.Enum(roomRoles, { description: 'owner (admins only), moderator or vip.' }) },
  { additionalProperties: false, examples: [{ role: 'moderator' }] },
);

export const RateLimitBody = Type.Object(
  {
    messages: Type.Integer({ minimum: 0, maximum: 10_000, description: 'Messages per `perSec` seconds per user; 0 = no limit.' }),
    perSec: Type.Integer({ minimum: 1, maximum: 86_400 }),
    exempt: Type.Optional(Type.Array(Type.Enum(exemptableRoles), { uniqueItems: true, description: 'Room roles not limited (owners count as moderators).' })),
  },
  { additionalProperties: false, examples: [{ messages: 5, perSec: 10, exempt: ['moderator', 'vip'] }] },
);

export const RateLimitView = Type.Object({
  messages: Type.Integer(),
  perSec: Type.Integer(),
  exempt: Type.Array(Type.String()),
  source: Type.Enum(['room', 'default', 'config'], { description: 'Where the limit in force comes from.' }),
});

export const AuditEntryView = Type.Object({
  id: Type.String(),
  at: Type.Integer(),
  actor: Actor,
  action: Type.Enum(auditActions),
  room: Type.Union([Type.String(), Type.Null()]),
  target: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.Integer(), Type.Null()]),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

export const AuditQuery = Type.Object({
  actor: Type.Optional(UserId),
  target: Type.Optional(UserId),
  action: Type.Optional(Type.Enum(auditActions)),
  before: Type.Optional(Type.String({ pattern: '^[0-9a-f]{24}$', description: 'Cursor: entries older than this id.' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
});

export const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };
