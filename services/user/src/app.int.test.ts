import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, GUEST_ROLE, loadConfig, MemoryDeactivations, type BusAccount, type TokenSigner } from '@chatorbit/shared';
// Tokens come from the real auth service, so this suite also pins the contract between the two.
import { authConfigSchema, buildAuthApp } from '../../auth/src/index.ts';
import { userStoreCases, type OpenUserStore } from '../../auth/src/testing/user-stores.ts';
import { buildUserApp } from './app.ts';
import { userConfigSchema } from './config.ts';

const config = loadConfig(userConfigSchema, { LOG_LEVEL: 'silent' });
const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };

interface Account {
  id: string;
  username: string;
  token: string;
}

describe.each(userStoreCases)('user service with the %s user store', (_kind, open) => {
  let store: OpenUserStore;
  let signer: TokenSigner;
  let auth: FastifyInstance;
  let app: FastifyInstance;
  let alice: Account;
  let bob: Account;
  let root: Account;
  let guestToken: string;
  let deactivations: MemoryDeactivations;
  const announced: BusAccount[] = [];
  const revoked: string[] = [];

  beforeAll(async () => {
    store = await open(`user_test_${process.pid}_${Date.now()}`);
    signer = await createTokenSigner(settings);
    auth = await buildAuthApp(loadConfig(authConfigSchema, { LOG_LEVEL: 'silent' }), { users: store.users, signer });
    const jwks = (await auth.inject('/.well-known/jwks.json')).json<ReturnType<TokenSigner['jwks']>>();
    deactivations = new MemoryDeactivations();
    deactivations.onEvent((event) => announced.push(event));
    app = await buildUserApp(config, {
      users: store.users,
      verifier: createTokenVerifier(settings, jwks),
      deactivations,
      // Stands in for the RefreshTokenStore another branch builds: records what deactivation asks of it.
      refreshTokens: { revokeAllForUser: async (userId) => void revoked.push(userId) },
    });
    alice = await register('Alice');
    bob = await register('bob');
    root = await register('root', ['admin']);
    guestToken = await signer.sign({ userId: 'guest-4f2a9c', name: 'guest-4f2a', roles: [GUEST_ROLE] }, 60);
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await store?.close();
  });

  /** Signs up through auth; with roles, gives them before logging in (the token carries them). */
  async function register(username: string, roles: string[] = []): Promise<Account> {
    const credentials = { username, email: `${username}@example.com`, password: `${username}-password` };
    const signup = await auth.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: credentials });
    expect(signup.statusCode).toBe(201);
    if (roles.length > 0) await store.users.setRoles(signup.json().user.id, roles);
    const login = await auth.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: username, password: credentials.password },
    });
    expect(login.statusCode).toBe(200);
    const { accessToken, user } = login.json();
    return { id: user.id, username, token: accessToken };
  }

  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token?: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const patchMe = (token: string, payload: unknown) => call('PATCH', '/api/v1/users/me', token, payload);

  const publicView = (a: Account) => ({
    id: a.id,
    username: a.username,
    displayName: null,
    color: null,
    avatarUrl: null,
    createdAt: expect.any(String),
  });

  describe('GET /api/v1/users/me', () => {
    it("returns the token holder's public view, never email or password hash", async () => {
      const res = await get('/api/v1/users/me', alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(publicView(alice));
      expect(Object.keys(res.json()).sort()).toEqual(['avatarUrl', 'color', 'createdAt', 'displayName', 'id', 'username']);
      expect(Number.isNaN(Date.parse(res.json().createdAt))).toBe(false);
    });

    it('answers 404 for a valid token whose account does not exist', async () => {
      const ghost = await signer.sign({ userId: new ObjectId().toHexString(), name: 'ghost', roles: [] }, 60);
      const res = await get('/api/v1/users/me', ghost);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    });
  });

  describe('GET /api/v1/users/:id', () => {
    it("returns another account's public view", async () => {
      const res = await get(`/api/v1/users/${bob.id}`, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(publicView(bob));
      expect(res.body).not.toContain('@example.com');
      expect(res.body).not.toContain('scrypt');
    });

    it('accepts the id in upper-case hex', async () => {
      const res = await get(`/api/v1/users/${bob.id.toUpperCase()}`, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(bob.id);
    });

    it('answers 404 not_found for an unknown id', async () => {
      const res = await get(`/api/v1/users/${new ObjectId().toHexString()}`, alice.token);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'not_found', message: 'user not found' } });
    });

    it.each([['123'], ['z'.repeat(24)], ['a'.repeat(25)], ['a'.repeat(23)], [`${'a'.repeat(23)}%20`]])(
      'answers 400 invalid_params for the id %j',
      async (id) => {
        const res = await get(`/api/v1/users/${id}`, alice.token);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toEqual({ code: 'invalid_params', message: expect.any(String) });
      },
    );
  });

  describe('authentication', () => {
    const otherKeyPem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

    const badTokens: [string, () => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      ['a token that is not a JWT', async () => 'not-a-jwt'],
      ['a token with a tampered payload', async () => tamper(alice.token, bob.id)],
      ['an expired token', async () => signer.sign({ userId: alice.id, name: alice.username, roles: [] }, -60)],
      [
        'a token signed with an unknown key',
        async () => (await createTokenSigner(settings)).sign({ userId: alice.id, name: alice.username, roles: [] }, 60),
      ],
      [
        'a token for another audience',
        async () =>
          (await createTokenSigner({ ...settings, audience: 'elsewhere' }, otherKeyPem)).sign(
            { userId: alice.id, name: alice.username, roles: [] },
            60,
          ),
      ],
    ];

    it.each(badTokens)('rejects %s with 401 on every route', async (_what, makeToken) => {
      const token = await makeToken();
      for (const [method, url, payload] of [
        ['GET', '/api/v1/users/me'],
        ['GET', `/api/v1/users/${bob.id}`],
        ['GET', '/api/v1/users/not-an-id'],
        ['GET', '/api/v1/users?search=b'],
        ['GET', '/api/v1/users'],
        ['PATCH', '/api/v1/users/me', { color: '#000000' }],
        ['POST', `/api/v1/users/${bob.id}/deactivate`],
        ['POST', `/api/v1/users/${bob.id}/reactivate`],
      ] as const) {
        const res = await call(method, url, token, payload);
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json().error).toEqual({ code: 'unauthorized', message: expect.any(String) });
      }
      expect((await store.users.findById(bob.id))?.color).toBeNull();
    });

    it('rejects an Authorization header that is not a bearer token', async () => {
      const res = await app.inject({ url: '/api/v1/users/me', headers: { authorization: `Basic ${alice.token}` } });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('PATCH /api/v1/users/me', () => {
    let carol: Account;
    beforeAll(async () => {
      carol = await register('carol');
    });
    const recordOf = (a: Account) => store.users.findById(a.id);

    it('sets the display name, colour and avatar URL, normalized, and every view shows them', async () => {
      const res = await patchMe(carol.token, { displayName: '  Carol  ✨ ', color: '#FF88aA', avatarUrl: 'https://CDN.Example.com/a/carol.png?s=64#top' });
      expect(res.statusCode).toBe(200);
      const expected = { ...publicView(carol), displayName: 'Carol  ✨', color: '#ff88aa', avatarUrl: 'https://cdn.example.com/a/carol.png?s=64#top' };
      expect(res.json()).toEqual(expected);
      expect((await get('/api/v1/users/me', carol.token)).json()).toEqual(expected);
      expect((await get(`/api/v1/users/${carol.id}`, alice.token)).json()).toEqual(expected);
      expect(await recordOf(carol)).toMatchObject({ displayName: 'Carol  ✨', color: '#ff88aa', avatarUrl: 'https://cdn.example.com/a/carol.png?s=64#top' });
    });

    it('changes only the fields given, clears one with null, and changes nothing with {}', async () => {
      await patchMe(carol.token, { displayName: 'C', color: '#000000', avatarUrl: 'https://a.example/x.png' });
      expect((await patchMe(carol.token, { color: null })).json()).toMatchObject({ displayName: 'C', color: null, avatarUrl: 'https://a.example/x.png' });
      const unchanged = await patchMe(carol.token, {});
      expect(unchanged.statusCode).toBe(200);
      expect(unchanged.json()).toMatchObject({ displayName: 'C', color: null, avatarUrl: 'https://a.example/x.png' });
      expect((await patchMe(carol.token, { displayName: null, avatarUrl: null })).json()).toEqual(publicView(carol));
      expect(await recordOf(carol)).toMatchObject({ displayName: null, color: null, avatarUrl: null });
    });

    it('counts the 50 characters of a display name as characters, not UTF-16 units, after NFC', async () => {
      expect((await patchMe(carol.token, { displayName: '🙂'.repeat(50) })).json().displayName).toBe('🙂'.repeat(50));
      // e + combining acute accent: one character once composed.
      expect((await patchMe(carol.token, { displayName: `${'e\u0301'.repeat(50)}` })).json().displayName).toBe('é'.repeat(50));
    });

    const refusals: Array<[string, string, unknown]> = [
      ['displayName', 'empty', ''],
      ['displayName', 'blank', '   '],
      ['displayName', 'only zero-width spaces', '\u200B\u200B'],
      ['displayName', '51 characters', 'a'.repeat(51)],
      ['displayName', '51 emoji', '🙂'.repeat(51)],
      ['displayName', 'over 200 characters before trimming', `${' '.repeat(195)}name${' '.repeat(5)}`],
      ['displayName', 'two lines', 'two\nlines'],
      ['displayName', 'a tab', 'a\tb'],
      ['displayName', 'NUL', 'a\u0000b'],
      ['displayName', 'an ANSI escape', '\u001b[31mred'],
      ['displayName', 'a C1 control', 'a\u0085b'],
      ['displayName', 'a right-to-left override', 'evil\u202Etxt.exe'],
      ['displayName', 'a bidi isolate', 'a\u2066b'],
      ['displayName', 'a line separator', 'a\u2028b'],
      ['displayName', 'a number', 42],
      ['displayName', 'a boolean', true],
      ['displayName', 'an object', { first: 'a' }],
      ['displayName', 'an array', ['a']],
      ['color', 'a name', 'red'],
      ['color', 'short hex', '#fff'],
      ['color', 'seven digits', '#ff88000'],
      ['color', 'five digits', '#ff880'],
      ['color', 'no #', 'ff8800'],
      ['color', 'not hex', '#gg0000'],
      ['color', 'padded', ' #ff8800'],
      ['color', 'empty', ''],
      ['color', 'a number', 0xff8800],
      ['color', 'an array', ['#ff8800']],
      ['avatarUrl', 'http', 'http://cdn.example.com/a.png'],
      ['avatarUrl', 'ftp', 'ftp://cdn.example.com/a.png'],
      ['avatarUrl', 'javascript', 'javascript:alert(1)'],
      ['avatarUrl', 'data', 'data:image/png;base64,iVBORw0KGgo='],
      ['avatarUrl', 'relative', '/avatars/a.png'],
      ['avatarUrl', 'not a URL', 'not a url'],
      ['avatarUrl', 'empty', ''],
      ['avatarUrl', 'with credentials', 'https://user:secret@cdn.example.com/a.png'],
      ['avatarUrl', 'with a user name', 'https://user@cdn.example.com/a.png'],
      ['avatarUrl', 'localhost', 'https://localhost/a.png'],
      ['avatarUrl', 'LOCALHOST with a trailing dot', 'https://LOCALHOST./a.png'],
      ['avatarUrl', 'a name under localhost', 'https://api.localhost/a.png'],
      ['avatarUrl', 'a single-label host', 'https://intranet/a.png'],
      ['avatarUrl', 'loopback', 'https://127.0.0.1/a.png'],
      ['avatarUrl', 'loopback, short form', 'https://127.1/a.png'],
      ['avatarUrl', 'loopback, hex', 'https://0x7f000001/a.png'],
      ['avatarUrl', 'loopback, decimal', 'https://2130706433/a.png'],
      ['avatarUrl', '0.0.0.0', 'https://0.0.0.0/a.png'],
      ['avatarUrl', '10/8', 'https://10.1.2.3/a.png'],
      ['avatarUrl', '172.16/12', 'https://172.20.0.1/a.png'],
      ['avatarUrl', '192.168/16', 'https://192.168.1.1/a.png'],
      ['avatarUrl', 'link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data'],
      ['avatarUrl', 'CGNAT', 'https://100.64.0.1/a.png'],
      ['avatarUrl', 'multicast', 'https://224.0.0.1/a.png'],
      ['avatarUrl', 'broadcast', 'https://255.255.255.255/a.png'],
      ['avatarUrl', 'IPv6 loopback', 'https://[::1]/a.png'],
      ['avatarUrl', 'IPv6 unspecified', 'https://[::]/a.png'],
      ['avatarUrl', 'IPv6 link-local', 'https://[fe80::1]/a.png'],
      ['avatarUrl', 'IPv6 unique-local', 'https://[fd12:3456::1]/a.png'],
      ['avatarUrl', 'IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/a.png'],
      ['avatarUrl', 'IPv4-mapped metadata', 'https://[::ffff:a9fe:a9fe]/a.png'],
      ['avatarUrl', 'NAT64 loopback', 'https://[64:ff9b::7f00:1]/a.png'],
      ['avatarUrl', '6to4 of a private address', 'https://[2002:c0a8:101::1]/a.png'],
      ['avatarUrl', 'over 2048 characters', `https://cdn.example.com/${'a'.repeat(2048 - 'https://cdn.example.com/'.length + 1)}`],
      ['avatarUrl', 'a number', 42],
      ['avatarUrl', 'an object', { href: 'https://cdn.example.com/a.png' }],
    ];
    const codes: Record<string, string> = { displayName: 'invalid_display_name', color: 'invalid_color', avatarUrl: 'invalid_avatar_url' };

    it.each(refusals)('refuses a %s that is %s with 400 and its own code, storing nothing of the patch', async (field, _what, value) => {
      await patchMe(carol.token, { displayName: 'Before', color: '#111111', avatarUrl: 'https://a.example/before.png' });
      const before = await recordOf(carol);
      // A valid field next to the bad one: all or nothing.
      const valid = field === 'color' ? { displayName: 'After' } : { color: '#222222' };
      const res = await patchMe(carol.token, { ...valid, [field]: value });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: codes[field], message: expect.any(String) });
      expect(await recordOf(carol)).toEqual(before);
    });

    it.each([
      ['a plain https URL', 'https://cdn.example.com/a.png', 'https://cdn.example.com/a.png'],
      ['a port', 'https://cdn.example.com:8443/a.png', 'https://cdn.example.com:8443/a.png'],
      ['a public IPv4 address', 'https://93.184.216.34/a.png', 'https://93.184.216.34/a.png'],
      ['a public IPv6 address', 'https://[2606:2800:220:1:248:1893:25c8:1946]/a.png', 'https://[2606:2800:220:1:248:1893:25c8:1946]/a.png'],
      ['an internationalized name (stored as punycode)', 'https://bücher.example/a.png', 'https://xn--bcher-kva.example/a.png'],
      ['exactly 2048 characters', `https://cdn.example.com/${'a'.repeat(2048 - 24)}`, `https://cdn.example.com/${'a'.repeat(2048 - 24)}`],
    ])('accepts an avatar URL with %s', async (_what, avatarUrl, stored) => {
      const res = await patchMe(carol.token, { avatarUrl });
      expect(res.statusCode).toBe(200);
      expect(res.json().avatarUrl).toBe(stored);
      expect((await recordOf(carol))?.avatarUrl).toBe(stored);
    });

    it.each([
      ['an unknown field', { nickname: 'c' }],
      ['an array', [{ displayName: 'c' }]],
      ['null', null],
    ])('refuses a body that is %s with 400 invalid_body', async (_what, body) => {
      const res = await patchMe(carol.token, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_body');
    });

    it.each([
      ['a JSON string', '"Carol"'],
      ['not JSON', '{"displayName":'],
    ])('refuses a body that is %s with 400 invalid_body', async (_what, payload) => {
      const res = await app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${carol.token}`, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_body');
    });
  });

  describe('guests', () => {
    it('get 403 on the /me routes: a guest has no account', async () => {
      for (const res of [await get('/api/v1/users/me', guestToken), await patchMe(guestToken, { displayName: 'Guest' })]) {
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('forbidden');
      }
    });

    it('may look accounts up and search them', async () => {
      expect((await get(`/api/v1/users/${bob.id}`, guestToken)).json()).toEqual(publicView(bob));
      expect((await get('/api/v1/users?search=bo', guestToken)).json().users.map((u: { id: string }) => u.id)).toContain(bob.id);
    });
  });

  describe('GET /api/v1/users?search=', () => {
    // Usernames chosen to sort differently with and without case: the order ignores case.
    const names = ['zed', 'Zeta', 'zeta2', 'ZEUS', 'zephyr', 'zeal', 'zz-top', 'aze'];
    beforeAll(async () => {
      for (const username of names) await store.users.create({ username, email: `${username}@search.example`, passwordHash: 'x' });
    });
    const search = (query: string, token = alice.token) => get(`/api/v1/users?${query}`, token);
    const usernames = (res: { json(): { users: Array<{ username: string }> } }) => res.json().users.map((u) => u.username);

    it('pages through the accounts whose username starts with the prefix, ignoring case, in username order', async () => {
      const first = await search('search=ze&limit=4');
      expect(first.statusCode).toBe(200);
      expect(usernames(first)).toEqual(['zeal', 'zed', 'zephyr', 'Zeta']);
      expect(first.json().next).toEqual(expect.any(String));
      const second = await search(`search=ze&limit=4&cursor=${first.json().next}`);
      expect(usernames(second)).toEqual(['zeta2', 'ZEUS']);
      expect(second.json()).not.toHaveProperty('next');
      expect(usernames(await search('search=ZE&limit=100'))).toEqual(['zeal', 'zed', 'zephyr', 'Zeta', 'zeta2', 'ZEUS']);
      // A full last page has no `next`.
      expect((await search('search=ze&limit=6')).json()).not.toHaveProperty('next');
      expect(first.json().users[0]).toEqual({ id: expect.any(String), username: 'zeal', displayName: null, color: null, avatarUrl: null, createdAt: expect.any(String) });
      expect(first.body).not.toContain('@search.example');
    });

    it('answers 20 per page by default and an empty page when nothing matches', async () => {
      for (let i = 0; i < 21; i++) await store.users.create({ username: `many${String(i).padStart(2, '0')}`, email: `many${i}@search.example`, passwordHash: 'x' });
      const page = await search('search=many');
      expect(page.json().users).toHaveLength(20);
      expect(usernames(await search(`search=many&cursor=${page.json().next}`))).toEqual(['many20']);
      expect((await search('search=nobody-here')).json()).toEqual({ users: [] });
    });

    it.each([
      ['no search', ''],
      ['an empty search', 'search='],
      ['a search of 51 characters', `search=${'a'.repeat(51)}`],
      ['limit 0', 'search=ze&limit=0'],
      ['limit 101', 'search=ze&limit=101'],
      ['a limit that is not a number', 'search=ze&limit=ten'],
      ['a cursor with characters outside base64url', 'search=ze&cursor=%2B%2F%3D'],
      ['a cursor that is not one the API returned', 'search=ze&cursor=A'],
      ['a cursor too long', `search=ze&cursor=${'A'.repeat(129)}`],
    ])('refuses %s with 400 invalid_query', async (_what, query) => {
      const res = await search(query);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: 'invalid_query', message: expect.any(String) });
    });
  });

  describe('deactivation (admins)', () => {
    it('deactivates: marked, announced to chat, refresh tokens revoked, the valid token refused; reactivation undoes it', async () => {
      const dave = await register('dave');
      const res = await call('POST', `/api/v1/users/${dave.id.toUpperCase()}/deactivate`, root.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ...publicView(dave), deactivated: true });
      expect((await store.users.findById(dave.id))?.deactivatedAt).toBeInstanceOf(Date);
      expect(await deactivations.has(dave.id)).toBe(true);
      expect(announced.at(-1)).toEqual({ v: 1, type: 'account', node: 'memory', userId: dave.id, deactivated: true });
      expect(revoked).toContain(dave.id);

      for (const [method, url] of [['GET', '/api/v1/users/me'], ['GET', `/api/v1/users/${bob.id}`], ['GET', '/api/v1/users?search=b'], ['PATCH', '/api/v1/users/me']] as const) {
        const refused = await call(method, url, dave.token, method === 'PATCH' ? { color: '#000000' } : undefined);
        expect(refused.statusCode, `${method} ${url}`).toBe(403);
        expect(refused.json().error.code).toBe('account_deactivated');
      }
      expect((await get(`/api/v1/users/${dave.id}`, alice.token)).json().deactivated).toBe(true);
      expect((await get('/api/v1/users?search=dave', alice.token)).json().users).toEqual([{ ...publicView(dave), deactivated: true }]);

      const back = await call('POST', `/api/v1/users/${dave.id}/reactivate`, root.token);
      expect(back.statusCode).toBe(200);
      expect(back.json()).toEqual(publicView(dave));
      expect(await deactivations.has(dave.id)).toBe(false);
      expect(announced.at(-1)).toMatchObject({ userId: dave.id, deactivated: false });
      expect((await get('/api/v1/users/me', dave.token)).statusCode).toBe(200);
    });

    it('keeps the first date when deactivating twice, and announces it again', async () => {
      const erin = await register('erin');
      await call('POST', `/api/v1/users/${erin.id}/deactivate`, root.token);
      const first = (await store.users.findById(erin.id))?.deactivatedAt;
      const count = announced.length;
      expect((await call('POST', `/api/v1/users/${erin.id}/deactivate`, root.token)).statusCode).toBe(200);
      expect((await store.users.findById(erin.id))?.deactivatedAt).toEqual(first);
      expect(announced.length).toBe(count + 1);
    });

    it('refuses non-admins and guests with 403 whatever the id, an admin deactivating themself with 403, unknown ids with 404, bad ids with 400', async () => {
      for (const token of [alice.token, guestToken]) {
        for (const id of [bob.id, root.id, new ObjectId().toHexString(), 'not-an-id']) {
          for (const action of ['deactivate', 'reactivate']) {
            const res = await call('POST', `/api/v1/users/${id}/${action}`, token);
            expect(res.statusCode, `${action} ${id}`).toBe(403);
            expect(res.json().error.code).toBe('forbidden');
          }
        }
      }
      expect((await store.users.findById(bob.id))?.deactivatedAt).toBeNull();
      const self = await call('POST', `/api/v1/users/${root.id}/deactivate`, root.token);
      expect(self.statusCode).toBe(403);
      expect(self.json().error).toEqual({ code: 'forbidden', message: 'you cannot deactivate yourself' });
      expect((await store.users.findById(root.id))?.deactivatedAt).toBeNull();
      for (const action of ['deactivate', 'reactivate']) {
        const unknown = await call('POST', `/api/v1/users/${new ObjectId().toHexString()}/${action}`, root.token);
        expect(unknown.statusCode).toBe(404);
        expect(unknown.json().error.code).toBe('not_found');
        expect((await call('POST', `/api/v1/users/xyz/${action}`, root.token)).json().error.code).toBe('invalid_params');
      }
    });
  });

  describe('operations', () => {
    it('is alive and ready without a token', async () => {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { mongo: 'ok', deactivations: 'ok' } });
    });

    it('documents every route in its OpenAPI document, with summaries and examples', async () => {
      const doc = (await app.inject('/openapi.json')).json();
      const ops = {
        '/api/v1/users/me': ['get', 'patch'],
        '/api/v1/users': ['get'],
        '/api/v1/users/{id}': ['get'],
        '/api/v1/users/{id}/deactivate': ['post'],
        '/api/v1/users/{id}/reactivate': ['post'],
      };
      for (const [path, methods] of Object.entries(ops)) {
        for (const method of methods) expect(doc.paths[path]?.[method]?.summary, `${method} ${path}`).toEqual(expect.any(String));
      }
      const patch = doc.paths['/api/v1/users/me'].patch;
      const body = patch.requestBody.content['application/json'];
      expect(body.example ?? body.examples?.example1?.value).toMatchObject({ displayName: expect.any(String), color: expect.any(String) });
      expect(patch.responses['400']).toBeDefined();
      expect(doc.paths['/api/v1/users'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit', 'search']);
    });

    it('labels request metrics with the route template, not the raw id', async () => {
      await get(`/api/v1/users/${bob.id}`, alice.token);
      const res = await app.inject('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/chatorbit_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/users\/:id"[^}]*status_code="200"/);
      expect(res.body).not.toContain(bob.id);
    });
  });
});

/** The token with its `sub` replaced and the original signature kept. */
function tamper(token: string, sub: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  return [header, Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url'), signature].join('.');
}
