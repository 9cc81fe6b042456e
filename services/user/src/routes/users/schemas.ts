import { Type } from 'typebox';
import { PublicUserSchema } from '@chatorbit/shared';
import { AVATAR_URL_MAX, DISPLAY_NAME_MAX } from '../../profile.ts';

export { ErrorResponse } from '@chatorbit/shared';

const example = {
  id: '6b06c78ae2619c28f5ae9e49',
  username: 'alice',
  displayName: 'Alice ✨',
  color: '#ff8800',
  avatarUrl: 'https://cdn.example.com/avatars/alice.png',
  createdAt: '2025-01-31T12:00:00.000Z',
};

export const PublicUser = Type.Object(PublicUserSchema.properties, { examples: [example] });

export const UserParams = Type.Object({
  id: Type.String({ pattern: '^[0-9A-Fa-f]{24}$', description: 'Account id (24-hex ObjectId).' }),
});

/**
 * The body of PATCH /api/v1/users/me. The schema bounds types and sizes; the handler checks the
 * rest (trimming, control characters, the avatar host) and answers each field's problem with its
 * own code: invalid_display_name, invalid_color, invalid_avatar_url.
 */
export const ProfilePatchBody = Type.Object(
  {
    displayName: Type.Optional(
      Type.Union([Type.String({ maxLength: 200 }), Type.Null()], {
        description: `Shown instead of the username. Trimmed (at most 200 characters before); 1–${DISPLAY_NAME_MAX} characters (code points) after; no control, line-separator or bidirectional-override characters. null clears it. Error: invalid_display_name.`,
      }),
    ),
    color: Type.Optional(
      Type.Union([Type.String({ pattern: '^#[0-9A-Fa-f]{6}$' }), Type.Null()], {
        description: 'Name colour, `#rrggbb` (stored lower-cased). null clears it. Error: invalid_color.',
      }),
    ),
    avatarUrl: Type.Optional(
      Type.Union([Type.String({ maxLength: AVATAR_URL_MAX }), Type.Null()], {
        description: `An https URL of at most ${AVATAR_URL_MAX} characters, without credentials; its host must be a public domain name (not localhost, not a single label) or a public IP address (not private, loopback, link-local or reserved). Stored normalized. null clears it. Error: invalid_avatar_url.`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Only the fields given change; an empty object changes nothing.',
    examples: [{ displayName: 'Alice ✨', color: '#FF8800', avatarUrl: 'https://cdn.example.com/avatars/alice.png' }, { avatarUrl: null }],
  },
);

export const SearchQuery = Type.Object({
  search: Type.String({ minLength: 1, maxLength: 50, description: 'Username prefix, ignoring case (1–50 characters).', examples: ['ali'] }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Accounts per page.' }),
  cursor: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'The `next` of the previous page (opaque).' }),
  ),
});

export const SearchResponse = Type.Object(
  {
    users: Type.Array(PublicUser, { description: 'In username order (ignoring case).' }),
    next: Type.Optional(Type.String({ description: 'Pass as `cursor` for the next page; absent on the last page.' })),
  },
  { examples: [{ users: [example], next: 'YWxpY2U' }] },
);
