import { Type } from 'typebox';
import { PublicUserSchema as PublicUser } from '@chatorbit/shared';

export { ErrorResponse } from '@chatorbit/shared';

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{2,32}$';

export const SignupBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, description: '2–32 of A-Z a-z 0-9 _ . -; unique ignoring case.' }),
    email: Type.String({ format: 'email', maxLength: 254, description: 'Unique ignoring case.' }),
    password: Type.String({ minLength: 8, maxLength: 256, description: 'Must not equal the username.' }),
  },
  { additionalProperties: false },
);

export const SignupResponse = Type.Object({ user: PublicUser });

export const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: 'Username or email address.' }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const LoginResponse = Type.Object({
  accessToken: Type.String({ description: 'EdDSA JWT; verify with the keys at /.well-known/jwks.json.' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the token expires.' }),
  user: PublicUser,
});

export const JwksResponse = Type.Object({
  keys: Type.Array(
    Type.Object(
      { kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() },
      { additionalProperties: true },
    ),
  ),
});
