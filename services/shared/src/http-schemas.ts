import { Type } from 'typebox';

/** Every non-2xx JSON body. */
export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'Stable, machine-readable.' }), message: Type.String() }),
});

/** The public view of an account: never the email or the password hash. */
export const PublicUserSchema = Type.Object({
  id: Type.String({ description: 'Account id (24-hex ObjectId).' }),
  username: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()], { description: 'Shown instead of the username when set.' }),
  color: Type.Union([Type.String({ pattern: '^#[0-9a-f]{6}$' }), Type.Null()], { description: 'Name colour, `#rrggbb`.' }),
  avatarUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'An https URL.' }),
  createdAt: Type.String({ format: 'date-time' }),
  deactivated: Type.Optional(Type.Literal(true, { description: 'Present only on accounts an admin deactivated.' })),
});
