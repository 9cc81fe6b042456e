import { Type } from 'typebox';

// The original frontend's auth API (COMPAT.md). Bodies may carry more fields than these (the
// original ignored unknown ones); every error body is `{ "error": "<text>" }`, shown as is.

export const CompatMessage = Type.Object({ message: Type.String() });

export const RegisterBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254, description: 'Unique ignoring case.' }),
    username: Type.String({ maxLength: 100, description: 'As for /api/v1/auth/signup: 2–32 of A-Z a-z 0-9 _ . - (the original allowed 2–100 of anything).' }),
    password: Type.String({ maxLength: 256, description: '8–256 characters, not the username or email (the original asked for 6).' }),
  },
  { examples: [{ email: 'alice@example.com', username: 'alice', password: 'correct horse' }] },
);

export const CompatLoginBody = Type.Object(
  {
    email: Type.String({ maxLength: 254, description: 'Email address (a username works too).' }),
    password: Type.String({ maxLength: 256 }),
  },
  { examples: [{ email: 'alice@example.com', password: 'correct horse' }] },
);

export const CompatLoginResponse = Type.Object(
  {
    token: Type.String({
      description:
        'EdDSA JWT accepted by every service; its payload is ASCII-only JSON (decodable with atob) with user_id, email, username, isAdmin and the standard claims.',
    }),
    user: Type.Object({ id: Type.String(), username: Type.String(), email: Type.String(), isAdmin: Type.Boolean() }),
  },
  {
    examples: [
      {
        token: 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiLi4uIn0.c2ln',
        user: { id: '6b06e3de13c43acac7224f34', username: 'alice', email: 'alice@example.com', isAdmin: false },
      },
    ],
  },
);

export const ChangePasswordBody = Type.Object(
  { old_password: Type.String({ maxLength: 256 }), new_password: Type.String({ maxLength: 256, description: '8–256 characters, not the username or email.' }) },
  { examples: [{ old_password: 'correct horse', new_password: 'battery staple' }] },
);
