import type { FastifyError, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  accountOf,
  forbidden,
  isAdmin,
  notFound,
  toPublicUser,
  type Deactivations,
  type HttpErrorCode,
  type UserStore,
} from '@chatorbit/shared';
import { AVATAR_URL_MAX, DISPLAY_NAME_MAX, checkProfilePatch } from '../../profile.ts';
import { ErrorResponse, ProfilePatchBody, PublicUser, SearchQuery, SearchResponse, UserParams } from './schemas.ts';

/** The part of the refresh-token store (services/shared/src/sessions) deactivation needs. */
export interface RefreshTokenRevoker {
  revokeAllForUser(userId: string): Promise<unknown>;
}

export interface UserRoutesOptions {
  users: UserStore;
  deactivations: Deactivations;
  refreshTokens?: RefreshTokenRevoker;
}

const errors = { 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

/** Each profile field's schema errors answer with the field's own code, and what it must be. */
const fieldErrors: Record<string, [HttpErrorCode, string]> = {
  displayName: ['invalid_display_name', `displayName must be a string (1–${DISPLAY_NAME_MAX} characters once trimmed, at most 200 before) or null`],
  color: ['invalid_color', 'color must be #rrggbb (six hex digits) or null'],
  avatarUrl: ['invalid_avatar_url', `avatarUrl must be an https URL of at most ${AVATAR_URL_MAX} characters, or null`],
};

function profileValidationError(error: FastifyError): AppError {
  const field = error.validation?.[0]?.instancePath.split('/')[1];
  const known = field ? fieldErrors[field] : undefined;
  return known ? new AppError(400, known[0], known[1]) : new AppError(400, 'invalid_body', error.message);
}

/** Search cursors: the last username key of a page, base64url-encoded so clients treat it as opaque. */
const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key.length === 0 || encodeCursor(key) !== cursor) throw new AppError(400, 'invalid_query', 'cursor is not one this API returned');
  return key;
}

/**
 * Accounts: the caller's own profile, lookups and search, and (admins) deactivation. Needs the
 * shared authPlugin registered first (`app.authenticate`).
 */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { users, deactivations, refreshTokens }) => {
  // onRequest rather than preHandler: without a valid token a request is rejected with 401 before
  // its params or body are even looked at.
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/api/v1/users/me',
    {
      schema: {
        summary: 'The account of the access token',
        description: 'Guests (tokens with the `guest` role) have no account: 403 `forbidden`.',
        response: { 200: PublicUser, ...errors },
      },
    },
    async (request) => {
      const user = await users.findById(accountOf(request).userId);
      if (!user) throw notFound('user');
      return toPublicUser(user);
    },
  );

  app.patch(
    '/api/v1/users/me',
    {
      attachValidation: true,
      schema: {
        summary: "Change the caller's display name, colour or avatar URL",
        description:
          'Only the fields given change; null clears one. Each field has its own 400 code: `invalid_display_name`, ' +
          '`invalid_color`, `invalid_avatar_url` (`invalid_body` for anything else, e.g. an unknown field). ' +
          'Nothing is stored when any field is refused. Guests: 403 `forbidden`.',
        body: ProfilePatchBody,
        response: { 200: PublicUser, 400: ErrorResponse, ...errors },
      },
    },
    async (request) => {
      const { userId } = accountOf(request);
      if (request.validationError) throw profileValidationError(request.validationError as FastifyError);
      const user = await users.updateProfile(userId, checkProfilePatch(request.body));
      if (!user) throw notFound('user');
      return toPublicUser(user);
    },
  );

  app.get(
    '/api/v1/users',
    {
      schema: {
        summary: 'Search accounts by username prefix',
        description:
          'Accounts whose username starts with `search` (ignoring case), in username order, `limit` per page. ' +
          'Follow `next` as `cursor` until it is absent. Deactivated accounts are included, marked `deactivated: true`.',
        querystring: SearchQuery,
        response: { 200: SearchResponse, 400: ErrorResponse, ...errors },
      },
    },
    async (request) => {
      const { search, limit, cursor } = request.query;
      const page = await users.search(search, { limit, ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }) });
      return { users: page.users.map(toPublicUser), ...(page.next === undefined ? {} : { next: encodeCursor(page.next) }) };
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      schema: {
        summary: 'An account by id',
        params: UserParams,
        response: { 200: PublicUser, 400: ErrorResponse, ...errors },
      },
    },
    async (request) => {
      const user = await users.findById(request.params.id.toLowerCase());
      if (!user) throw notFound('user');
      return toPublicUser(user);
    },
  );

  const adminErrors = { 400: ErrorResponse, ...errors };
  // Before the params are validated: a non-admin learns nothing about ids, valid or not.
  const adminsOnly = async (request: FastifyRequest) => {
    if (!isAdmin(accountOf(request))) throw forbidden('only admins may deactivate or reactivate accounts');
  };

  app.post(
    '/api/v1/users/:id/deactivate',
    {
      preValidation: adminsOnly,
      schema: {
        summary: 'Deactivate an account (admins)',
        description:
          'The account can no longer log in or refresh; its refresh tokens are revoked; every chat node closes its ' +
          'sockets with close code 4403 and refuses its new sockets, sends and HTTP requests (403 `account_deactivated`), ' +
          'even with an access token that has not expired. Idempotent: repeating it announces it again (after a 503 ' +
          'the account may be marked while chat was not told: repeat the call). ' +
          '403 for non-admins and for an admin deactivating themself; 404 for an unknown account.',
        params: UserParams,
        response: { 200: PublicUser, ...adminErrors },
      },
    },
    async (request) => {
      const actor = accountOf(request);
      const id = request.params.id.toLowerCase();
      if (id === actor.userId) throw forbidden('you cannot deactivate yourself');
      const user = await users.setDeactivated(id, true);
      if (!user) throw notFound('user');
      // The account record first: should announcing fail (503), repeating the call completes it.
      await deactivations.set(id, true);
      // Every session of the account ends here (auth also refuses its refreshes and logins).
      await refreshTokens?.revokeAllForUser(id);
      request.log.info({ actor: actor.userId, target: id }, 'account deactivated');
      return toPublicUser(user);
    },
  );

  app.post(
    '/api/v1/users/:id/reactivate',
    {
      preValidation: adminsOnly,
      schema: {
        summary: 'Reactivate a deactivated account (admins)',
        description: 'The account may log in and connect again (with a new token). Idempotent. 403 for non-admins; 404 for an unknown account.',
        params: UserParams,
        response: { 200: PublicUser, ...adminErrors },
      },
    },
    async (request) => {
      const actor = accountOf(request);
      const id = request.params.id.toLowerCase();
      const user = await users.setDeactivated(id, false);
      if (!user) throw notFound('user');
      await deactivations.set(id, false);
      request.log.info({ actor: actor.userId, target: id }, 'account reactivated');
      return toPublicUser(user);
    },
  );
};
