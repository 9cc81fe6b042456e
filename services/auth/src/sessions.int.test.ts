import { decodeJwt, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, type TokenVerifier } from '@chatorbit/shared';
import { setCookie, startAuth, type AuthHarness, type LoginBody } from './testing/auth-app.ts';
import { userStoreCases } from './testing/user-stores.ts';

const errorOf = (res: { json: () => unknown }) => (res.json() as { error: { code: string; message: string } }).error;

describe.each(userStoreCases)('sessions with the %s user store', (_kind, open) => {
  let h: AuthHarness;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    h = await startAuth(open, `auth_sessions_${process.pid}_${Date.now()}`);
    const jwks = (await h.app.inject('/.well-known/jwks.json')).json<JSONWebKeySet>();
    verifier = createTokenVerifier({ issuer: h.config.JWT_ISSUER, audience: h.config.JWT_AUDIENCE }, jwks);
  });
  afterAll(async () => {
    await h?.close();
  });

  const refresh = (refreshToken: string) => h.post('/api/v1/auth/refresh', { refreshToken });
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  describe('bearer mode', () => {
    it('rotates the refresh token on every use; each access token verifies with the JWKS', async () => {
      const account = await h.newAccount('rot');
      let current = await h.login(account);
      for (let i = 0; i < 3; i++) {
        const res = await refresh(current.refreshToken!);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        const next = res.json<LoginBody>();
        expect(next.refreshToken).not.toBe(current.refreshToken);
        expect(next.accessToken).not.toBe(current.accessToken);
        expect(next).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 30 * 86_400, user: { id: account.id } });
        expect(await verifier.verify(next.accessToken)).toEqual({ userId: account.id, name: account.username, roles: [] });
        current = next;
      }
    });

    it('treats a second use of a refresh token as theft: 401, and the whole session is revoked', async () => {
      const account = await h.newAccount('reuse');
      const first = await h.login(account);
      const second = (await refresh(first.refreshToken!)).json<LoginBody>();
      const again = await refresh(first.refreshToken!);
      expect(again.statusCode).toBe(401);
      expect(errorOf(again)).toEqual({ code: 'unauthorized', message: expect.stringMatching(/already used/) });
      const successor = await refresh(second.refreshToken!);
      expect(successor.statusCode).toBe(401);
      expect(errorOf(successor).message).toMatch(/revoked/);
      // Another login of the same account is a separate session and lives on.
      const other = await h.login(account);
      expect((await refresh(other.refreshToken!)).statusCode).toBe(200);
    });

    it('lets exactly one of two concurrent refreshes with one token succeed', async () => {
      const { refreshToken } = await h.login(await h.newAccount('twice'));
      const statuses = (await Promise.all([refresh(refreshToken!), refresh(refreshToken!)])).map((r) => r.statusCode);
      expect(statuses.sort()).toEqual([200, 401]);
    });

    it('reads the account again: roles and name as they are now', async () => {
      const account = await h.newAccount('promo');
      const session = await h.login(account);
      expect(decodeJwt(session.accessToken).roles).toEqual([]);
      await h.store.users.setRoles(account.id, ['admin']);
      const res = await refresh(session.refreshToken!);
      expect(await verifier.verify(res.json<LoginBody>().accessToken)).toEqual({ userId: account.id, name: account.username, roles: ['admin'] });
    });

    it('ends the session of a deactivated account, for good', async () => {
      const account = await h.newAccount('deact');
      const session = await h.login(account);
      await h.store.users.setDeactivated(account.id, true);
      const res = await refresh(session.refreshToken!);
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).message).toMatch(/deactivated/);
      await h.store.users.setDeactivated(account.id, false);
      expect((await refresh(session.refreshToken!)).statusCode).toBe(401);
    });

    it.each([
      ['no body', undefined, 400, 'invalid_body'],
      ['an unknown token', { refreshToken: 'x'.repeat(43) }, 401, 'unauthorized'],
      ['no token at all', {}, 401, 'unauthorized'],
      ['an empty token', { refreshToken: '' }, 400, 'invalid_body'],
      ['a number', { refreshToken: 12345 }, 400, 'invalid_body'],
      ['an extra property', { refreshToken: 'abc', userId: 'x' }, 400, 'invalid_body'],
      ['a 129-character token', { refreshToken: 'x'.repeat(129) }, 400, 'invalid_body'],
    ])('refuses a refresh with %s: %i %s', async (_what, body, status, code) => {
      const res = await h.post('/api/v1/auth/refresh', body);
      expect(res.statusCode).toBe(status);
      expect(errorOf(res)).toEqual({ code, message: expect.any(String) });
    });

    it('logout revokes this session only; always 204', async () => {
      const account = await h.newAccount('out');
      const [a, b] = [await h.login(account), await h.login(account)];
      const res = await h.post('/api/v1/auth/logout', { refreshToken: a.refreshToken });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await refresh(a.refreshToken!)).statusCode).toBe(401);
      expect((await refresh(b.refreshToken!)).statusCode).toBe(200);
      expect((await h.post('/api/v1/auth/logout', { refreshToken: a.refreshToken })).statusCode).toBe(204);
      expect((await h.post('/api/v1/auth/logout', { refreshToken: 'never-issued' })).statusCode).toBe(204);
      expect((await h.post('/api/v1/auth/logout', {})).statusCode).toBe(204);
    });

    it('logout-all revokes every session of the account and nobody else\'s', async () => {
      const account = await h.newAccount('all');
      const other = await h.newAccount('bystander');
      const sessions = [await h.login(account), await h.login(account), await h.login(account)];
      const theirs = await h.login(other);
      expect((await h.post('/api/v1/auth/logout-all', undefined, bearer(sessions[0]!.accessToken))).statusCode).toBe(204);
      for (const s of sessions) expect((await refresh(s.refreshToken!)).statusCode).toBe(401);
      expect((await refresh(theirs.refreshToken!)).statusCode).toBe(200);
    });

    it('logout-all needs a valid access token', async () => {
      const { refreshToken } = await h.login(await h.newAccount('noauth'));
      for (const extra of [{}, bearer('not-a-token'), { headers: { authorization: `Bearer ${refreshToken}` } }]) {
        const res = await h.post('/api/v1/auth/logout-all', undefined, extra);
        expect(res.statusCode).toBe(401);
        expect(errorOf(res).code).toBe('unauthorized');
      }
      expect((await refresh(refreshToken!)).statusCode).toBe(200);
    });
  });

  describe('cookie mode', () => {
    it('sets the refresh token as an HttpOnly, SameSite=Lax cookie for the auth routes only, not in the body', async () => {
      const account = await h.newAccount('cookie');
      const res = await h.post('/api/v1/auth/login', { login: account.username, password: account.password, cookie: true });
      expect(res.statusCode).toBe(200);
      const body = res.json<LoginBody>();
      expect(body).not.toHaveProperty('refreshToken');
      expect(body.accessToken).toEqual(expect.any(String));
      const cookie = setCookie(res, 'orbit_refresh');
      expect(cookie).toEqual({
        value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        'max-age': String(30 * 86_400),
        path: '/api/v1/auth',
        httponly: true,
        samesite: 'Lax',
      });
    });

    it('refreshes from the cookie (with a JSON body), rotating the cookie; the old cookie is then refused and cleared', async () => {
      const account = await h.newAccount('cref');
      const login = await h.post('/api/v1/auth/login', { login: account.username, password: account.password, cookie: true });
      const first = setCookie(login, 'orbit_refresh')!.value as string;
      const res = await h.post('/api/v1/auth/refresh', {}, { cookies: { orbit_refresh: first } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).not.toHaveProperty('refreshToken');
      const second = setCookie(res, 'orbit_refresh')!.value as string;
      expect(second).not.toBe(first);
      expect(await verifier.verify(res.json<LoginBody>().accessToken)).toMatchObject({ userId: account.id });

      const replay = await h.post('/api/v1/auth/refresh', {}, { cookies: { orbit_refresh: first } });
      expect(replay.statusCode).toBe(401);
      const cleared = setCookie(replay, 'orbit_refresh')!;
      expect(cleared.value).toBe('');
      expect(cleared.path).toBe('/api/v1/auth');
      expect(new Date(cleared.expires as string).getTime()).toBeLessThan(Date.now());
      // The replay revoked the session, the newest cookie with it.
      expect((await h.post('/api/v1/auth/refresh', {}, { cookies: { orbit_refresh: second } })).statusCode).toBe(401);
    });

    it('refuses a cookie refresh without a JSON body (what a cross-site form would send)', async () => {
      const account = await h.newAccount('csrf');
      const login = await h.post('/api/v1/auth/login', { login: account.username, password: account.password, cookie: true });
      const cookie = setCookie(login, 'orbit_refresh')!.value as string;
      const bare = await h.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { orbit_refresh: cookie } });
      expect(bare.statusCode).toBe(400);
      const form = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        cookies: { orbit_refresh: cookie },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      });
      expect(form.statusCode).toBe(415);
      // Neither used the token up.
      expect((await h.post('/api/v1/auth/refresh', {}, { cookies: { orbit_refresh: cookie } })).statusCode).toBe(200);
    });

    it('logout from the cookie revokes the session and clears the cookie', async () => {
      const account = await h.newAccount('cout');
      const login = await h.post('/api/v1/auth/login', { login: account.username, password: account.password, cookie: true });
      const cookie = setCookie(login, 'orbit_refresh')!.value as string;
      const res = await h.post('/api/v1/auth/logout', {}, { cookies: { orbit_refresh: cookie } });
      expect(res.statusCode).toBe(204);
      expect(setCookie(res, 'orbit_refresh')).toMatchObject({ value: '', path: '/api/v1/auth', httponly: true });
      expect((await h.post('/api/v1/auth/refresh', {}, { cookies: { orbit_refresh: cookie } })).statusCode).toBe(401);
    });

    it('marks the cookie Secure behind https (X-Forwarded-Proto from a trusted proxy) and not on plain http', async () => {
      const account = await h.newAccount('sec');
      const body = { login: account.username, password: account.password, cookie: true };
      const https = await h.post('/api/v1/auth/login', body, { headers: { 'x-forwarded-proto': 'https' } });
      expect(setCookie(https, 'orbit_refresh')?.secure).toBe(true);
      const http = await h.post('/api/v1/auth/login', body);
      expect(setCookie(http, 'orbit_refresh')?.secure).toBeUndefined();
      // A client on the internet cannot claim https: only proxies on private addresses are believed.
      const spoofed = await h.post('/api/v1/auth/login', body, { headers: { 'x-forwarded-proto': 'https' }, remoteAddress: '203.0.113.9' });
      expect(setCookie(spoofed, 'orbit_refresh')?.secure).toBeUndefined();
    });
  });

  describe('POST /api/v1/auth/password', () => {
    const change = (token: string, body: unknown) => h.post('/api/v1/auth/password', body, bearer(token));

    it('changes the password and ends every session', async () => {
      const account = await h.newAccount('pw');
      const [a, b] = [await h.login(account), await h.login(account)];
      const res = await change(a.accessToken, { currentPassword: account.password, newPassword: 'a brand new secret' });
      expect(res.statusCode, res.body).toBe(204);
      for (const s of [a, b]) expect((await refresh(s.refreshToken!)).statusCode).toBe(401);
      expect((await h.post('/api/v1/auth/login', { login: account.username, password: account.password })).statusCode).toBe(401);
      const fresh = await h.login({ username: account.username, password: 'a brand new secret' });
      expect((await refresh(fresh.refreshToken!)).statusCode).toBe(200);
    });

    it('refuses a wrong current password with 403, changing nothing', async () => {
      const account = await h.newAccount('pwbad');
      const session = await h.login(account);
      const res = await change(session.accessToken, { currentPassword: 'not it at all', newPassword: 'a brand new secret' });
      expect(res.statusCode).toBe(403);
      expect(errorOf(res)).toEqual({ code: 'forbidden', message: 'the current password is wrong' });
      expect((await refresh(session.refreshToken!)).statusCode).toBe(200);
      await h.login(account);
    });

    it.each([
      ['7 characters', () => 'x'.repeat(7), /at least 8|fewer than 8|minLength|8/],
      ['the username', (a: { username: string }) => a.username.toUpperCase(), /username/],
      ['the email address', (a: { email: string }) => a.email, /email/],
    ])('refuses a new password that is %s (400), changing nothing', async (_what, newPassword, message) => {
      const account = await h.newAccount('pwpol');
      const session = await h.login(account);
      const res = await change(session.accessToken, { currentPassword: account.password, newPassword: newPassword(account) });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toEqual({ code: 'invalid_body', message: expect.stringMatching(message) });
      await h.login(account);
    });

    it('needs an access token', async () => {
      const res = await h.post('/api/v1/auth/password', { currentPassword: 'whatever-1', newPassword: 'whatever-2' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('guests', () => {
    it('get a verifiable viewer token: roles ["guest"], a fresh id and name, no refresh token', async () => {
      const res = await h.post('/api/v1/auth/guest', undefined, { remoteAddress: '10.1.0.1' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<{ accessToken: string; expiresIn: number; guest: { id: string; name: string } }>();
      expect(body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900, guest: { id: expect.stringMatching(/^[0-9a-f]{24}$/), name: expect.stringMatching(/^guest-[0-9a-f]{6}$/) } });
      expect(await verifier.verify(body.accessToken)).toEqual({ userId: body.guest.id, name: body.guest.name, roles: ['guest'] });
      expect(await h.store.users.findById(body.guest.id)).toBeUndefined();
      const another = (await h.post('/api/v1/auth/guest', undefined, { remoteAddress: '10.1.0.1' })).json<{ guest: { id: string } }>();
      expect(another.guest.id).not.toBe(body.guest.id);
    });

    it('cannot change a password or log out everywhere: there is no account', async () => {
      const { accessToken } = (await h.post('/api/v1/auth/guest', undefined, { remoteAddress: '10.1.0.2' })).json<{ accessToken: string }>();
      const pw = await h.post('/api/v1/auth/password', { currentPassword: 'whatever-1', newPassword: 'whatever-2' }, bearer(accessToken));
      expect(pw.statusCode).toBe(403);
      expect(errorOf(pw)).toEqual({ code: 'forbidden', message: 'a guest has no account' });
      expect((await h.post('/api/v1/auth/logout-all', undefined, bearer(accessToken))).statusCode).toBe(403);
    });

    it('cannot be impersonated by an account: usernames beginning with guest- are reserved', async () => {
      const res = await h.post('/api/v1/auth/signup', { username: 'Guest-1a2b3c', email: 'g@example.com', password: 'guest password' });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toEqual({ code: 'invalid_body', message: expect.stringMatching(/reserved/) });
    });
  });
});

describe('guest limits', () => {
  it('allow GUEST_TOKENS_PER_MINUTE per client address, then 429 with Retry-After', async () => {
    const h = await startAuth(userStoreCases[0]![1], 'unused', { env: { GUEST_TOKENS_PER_MINUTE: '3' } });
    try {
      const guest = (ip: string) => h.post('/api/v1/auth/guest', undefined, { remoteAddress: ip });
      for (let i = 0; i < 3; i++) expect((await guest('10.2.0.1')).statusCode).toBe(200);
      const refused = await guest('10.2.0.1');
      expect(refused.statusCode).toBe(429);
      expect(errorOf(refused)).toEqual({ code: 'too_many_attempts', message: expect.stringMatching(/guest tokens/) });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect((await guest('10.2.0.2')).statusCode).toBe(200);
      // One IPv6 client holds a /64: it is one address here.
      for (let i = 0; i < 3; i++) expect((await guest(`2001:db8:1:2::${i + 1}`)).statusCode).toBe(200);
      expect((await guest('2001:db8:1:2:ffff::9')).statusCode).toBe(429);
      expect((await guest('2001:db8:1:3::1')).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('GUEST_TOKENS_PER_MINUTE=0 turns guest tokens off', async () => {
    const h = await startAuth(userStoreCases[0]![1], 'unused', { env: { GUEST_TOKENS_PER_MINUTE: '0' } });
    try {
      const res = await h.post('/api/v1/auth/guest');
      expect(res.statusCode).toBe(403);
      expect(errorOf(res)).toEqual({ code: 'forbidden', message: 'guest access is turned off' });
    } finally {
      await h.close();
    }
  });
});
