import { Type } from 'typebox';

/** Every non-2xx JSON body. */
export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'Stable, machine-readable.' }), message: Type.String() }),
});

/** The public view of an account: never the email or the password hash. */
export const PublicUserSchema = Type.Object({
  id: Type.String({ description: 'Account id (24-hex ObjectId).' }),
  username: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
