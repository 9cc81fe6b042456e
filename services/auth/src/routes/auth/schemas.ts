import { Type } from 'typebox';
import { ErrorResponse, PublicUserSchema as PublicUser } from '@chatorbit/shared';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../passwords/policy.ts';

export { ErrorResponse };

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{2,32}$';

const Password = (description: string) =>
  Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description });

export const SignupBody = Type.Object(
  {
    username: Type.String({
      pattern: USERNAME_PATTERN,
      description: '2–32 of A-Z a-z 0-9 _ . -; unique ignoring case; not beginning with `guest-` (guests\' names).',
    }),
    email: Type.String({ format: 'email', maxLength: 254, description: 'Unique ignoring case.' }),
    password: Password('8–256 characters; not the username or the email address.'),
  },
  { additionalProperties: false, examples: [{ username: 'alice', email: 'alice@example.com', password: 'correct horse' }] },
);

export const SignupResponse = Type.Object({ user: PublicUser });

export const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: 'Username or email address.' }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    cookie: Type.Optional(
      Type.Boolean({
        description:
          'Cookie mode (browsers): the refresh token is set as the HttpOnly cookie `orbit_refresh` (Path=/api/v1/auth, SameSite=Lax) instead of being returned.',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ login: 'alice', password: 'correct horse' }, { login: 'alice@example.com', password: 'correct horse', cookie: true }],
  },
);

const tokenFields = {
  accessToken: Type.String({ description: 'EdDSA JWT with a `kid`; verify with the keys at /.well-known/jwks.json. Send as `Authorization: Bearer`.' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires (ACCESS_TOKEN_TTL_SEC, 900 by default).' }),
};

export const SessionResponse = Type.Object(
  {
    ...tokenFields,
    refreshToken: Type.Optional(
      Type.String({ description: 'Opaque; good for one POST /api/v1/auth/refresh. Absent in cookie mode (it is in the `orbit_refresh` cookie).' }),
    ),
    refreshExpiresIn: Type.Integer({ description: 'Seconds until the refresh token expires unused.' }),
    user: PublicUser,
  },
  {
    examples: [
      {
        accessToken: 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5',
        refreshExpiresIn: 2_592_000,
        user: { id: '6b06e3de13c43acac7224f34', username: 'alice', displayName: null, color: null, avatarUrl: null, createdAt: '2030-01-01T00:00:00.000Z' },
      },
    ],
  },
);

export const RefreshBody = Type.Object(
  {
    refreshToken: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'The refresh token. Leave it out in cookie mode: the `orbit_refresh` cookie is used.' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'A JSON object, `{}` in cookie mode: a cross-site form cannot send one, which keeps other sites from using the cookie.',
    examples: [{ refreshToken: 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5' }, {}],
  },
);

export const PasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    newPassword: Password('8–256 characters; not the username or the email address.'),
  },
  { additionalProperties: false, examples: [{ currentPassword: 'correct horse', newPassword: 'battery staple' }] },
);

export const GuestResponse = Type.Object(
  {
    ...tokenFields,
    guest: Type.Object({
      id: Type.String({ description: 'A fresh 24-hex id, the token\'s `sub`; no account has it.' }),
      name: Type.String({ description: '`guest-` and 6 hex digits.' }),
    }),
  },
  {
    examples: [
      {
        accessToken: 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
        tokenType: 'Bearer',
        expiresIn: 900,
        guest: { id: '6b06e3de13c43acac7224f35', name: 'guest-1a2b3c' },
      },
    ],
  },
);

export const NoContent = Type.Null({ description: 'No content.' });

export const JwksResponse = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        { kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() },
        { additionalProperties: true },
      ),
    ),
  },
  {
    examples: [
      {
        keys: [
          { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'yjTE6dFqnp42u_xPsHgTOkXIPl2b0jGZJvg4NiA-wso', alg: 'EdDSA', use: 'sig' },
        ],
      },
    ],
  },
);
