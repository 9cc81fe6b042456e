import { Type } from 'typebox';

export { ErrorResponse, PublicUserSchema as PublicUser } from '@chatorbit/shared';

export const UserParams = Type.Object({
  id: Type.String({ pattern: '^[0-9A-Fa-f]{24}$', description: 'Account id (24-hex ObjectId).' }),
});
