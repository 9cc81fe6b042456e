import type { FastifyInstance } from 'fastify';
import type { JSONWebKeySet } from 'jose';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createTokenSigner, createTokenVerifier, loadConfig, type UserStore } from '@chatorbit/shared';
import { ensureAdmin, type AdminConfig, type AdminLog } from './admin.ts';
import { buildAuthApp } from './app.ts';
import { authConfigSchema } from './config.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { userStoreCases, type OpenUserStore } from './testing/user-stores.ts';

const config = loadConfig(authConfigSchema, { LOG_LEVEL: 'silent' });
const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
// The cheapest valid cost keeps the suite fast; login verifies with the parameters in the hash.
const hasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

/** A logger that keeps what it was told. */
function recordingLog(): AdminLog & { lines: { level: 'info' | 'warn'; fields: unknown; msg: string }[] } {
  const lines: { level: 'info' | 'warn'; fields: unknown; msg: string }[] = [];
  const at = (level: 'info' | 'warn') => (fields: unknown, msg: string) => void lines.push({ level, fields, msg });
  return { lines, info: at('info'), warn: at('warn') };
}

describe.each(userStoreCases)('admin bootstrap and roles with the %s user store', (kind, open) => {
  let store: OpenUserStore;
  let users: UserStore;
  let app: FastifyInstance;
  let jwks: JSONWebKeySet;
  let n = 0;
  /** A username no other test in this file uses. */
  const unique = (base: string) => `${base}${++n}`;
  const adminConfig = (username: string, password = `${username}-admin-secret`): AdminConfig => ({
    ADMIN_USERNAME: username,
    ADMIN_PASSWORD: password,
  });

  beforeAll(async () => {
    store = await open(`auth_admin_test_${process.pid}_${Date.now()}`);
    users = store.users;
    app = await buildAuthApp(config, { users, sessions: store.sessions, signer: await createTokenSigner(settings), passwords: hasher });
    jwks = (await app.inject('/.well-known/jwks.json')).json();
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  /** Logs in through the app; resolves to the status and, on 200, the token's principal verified with the JWKS. */
  async function login(loginName: string, password: string) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: loginName, password } });
    if (res.statusCode !== 200) return { status: res.statusCode, principal: undefined, user: undefined };
    const body = res.json<{ accessToken: string; user: Record<string, unknown> }>();
    return { status: 200, principal: await createTokenVerifier(settings, jwks).verify(body.accessToken), user: body.user };
  }

  async function signup(username: string, password: string) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { username, email: `${username.toLowerCase()}@example.com`, password },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ user: { id: string } }>().user.id;
  }

  describe('ensureAdmin', () => {
    it('does nothing without an admin configured', async () => {
      const log = recordingLog();
      expect(await ensureAdmin(users, hasher, {}, log)).toBeUndefined();
      expect(log.lines).toEqual([]);
      expect(await users.findByLogin('admin')).toBeUndefined();
    });

    it('creates the admin once, with the admin role, and is idempotent', async () => {
      const username = unique('root');
      const log = recordingLog();
      const created = await ensureAdmin(users, hasher, adminConfig(username), log);
      expect(created).toMatchObject({ username, email: `${username}@admin.invalid`, roles: ['admin'] });
      expect(log.lines).toEqual([{ level: 'info', fields: { userId: created!.id, username }, msg: expect.stringMatching(/created/) }]);

      const again = recordingLog();
      const second = await ensureAdmin(users, hasher, adminConfig(username), again);
      expect(second).toEqual(created);
      expect(again.lines).toEqual([{ level: 'info', fields: { userId: created!.id, username }, msg: expect.stringMatching(/ADMIN_PASSWORD/) }]);
      expect(await users.findById(created!.id)).toEqual(created);
      expect(await users.findByLogin(`${username}@admin.invalid`)).toEqual(created);
    });

    it('uses ADMIN_EMAIL when given', async () => {
      const username = unique('ops');
      const created = await ensureAdmin(users, hasher, { ...adminConfig(username), ADMIN_EMAIL: `${username}@Example.com` }, recordingLog());
      expect(created?.email).toBe(`${username}@example.com`);
    });

    it('does not change the password of an existing admin when ADMIN_PASSWORD changes', async () => {
      const username = unique('root');
      const created = await ensureAdmin(users, hasher, adminConfig(username, 'the first admin secret'), recordingLog());
      await ensureAdmin(users, hasher, adminConfig(username, 'a changed admin secret'), recordingLog());
      expect((await users.findById(created!.id))?.passwordHash).toBe(created!.passwordHash);
      expect((await login(username, 'the first admin secret')).status).toBe(200);
      expect((await login(username, 'a changed admin secret')).status).toBe(401);
    });

    it('promotes an existing user (in any letter case) whose password is ADMIN_PASSWORD', async () => {
      const username = unique('Carol');
      const id = await signup(username, 'carol-shared-secret');
      const before = await users.findById(id);
      expect(before?.roles).toEqual([]);

      const log = recordingLog();
      const promoted = await ensureAdmin(users, hasher, adminConfig(username.toUpperCase(), 'carol-shared-secret'), log);
      expect(promoted).toEqual({ ...before, roles: ['admin'] });
      expect(await users.findById(id)).toEqual(promoted);
      expect(log.lines).toEqual([{ level: 'warn', fields: { userId: id, username }, msg: expect.stringMatching(/admin role/) }]);
      expect((await login(username, 'carol-shared-secret')).principal).toEqual({ userId: id, name: username, roles: ['admin'] });
    });

    it('refuses, naming ADMIN_USERNAME, to promote an existing user whose password is not ADMIN_PASSWORD', async () => {
      const username = unique('squatter');
      const id = await signup(username, 'squatter-own-password');
      const attempt = ensureAdmin(users, hasher, adminConfig(username, 'the config admin secret'), recordingLog());
      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(attempt).rejects.toMatchObject({ variable: 'ADMIN_USERNAME' });
      expect((await users.findById(id))?.roles).toEqual([]);
    });

    it('keeps the roles an existing account already has', async () => {
      const username = unique('dora');
      const id = await signup(username, `${username}-admin-secret`);
      await users.setRoles(id, ['from-a-newer-version']);
      const promoted = await ensureAdmin(users, hasher, adminConfig(username), recordingLog());
      expect(promoted?.roles).toEqual(['from-a-newer-version', 'admin']);
    });

    it('lets several concurrent starts all succeed, with one account', async () => {
      const username = unique('race');
      const results = await Promise.all([1, 2, 3, 4].map(() => ensureAdmin(users, hasher, adminConfig(username), recordingLog())));
      const ids = new Set(results.map((r) => r?.id));
      expect(ids.size).toBe(1);
      for (const r of results) expect(r?.roles).toEqual(['admin']);
      expect((await users.findByLogin(username))?.roles).toEqual(['admin']);
    });

    it('lets concurrent starts promote one existing user', async () => {
      const username = unique('erin');
      const id = await signup(username, `${username}-admin-secret`);
      const results = await Promise.all([1, 2].map(() => ensureAdmin(users, hasher, adminConfig(username), recordingLog())));
      expect(results.map((r) => [r?.id, r?.roles])).toEqual([[id, ['admin']], [id, ['admin']]]);
    });

    it('takes a duplicate on create as another replica having created the admin: re-reads and sets the role', async () => {
      const username = unique('late');
      const id = await signup(username, `${username}-admin-secret`);
      // This replica's read misses the account that "another replica" inserts just after it.
      let misses = 1;
      const racing: UserStore = Object.assign(Object.create(users) as UserStore, {
        findByLogin: async (login: string) => (misses-- > 0 ? undefined : users.findByLogin(login)),
      });
      const log = recordingLog();
      const result = await ensureAdmin(racing, hasher, adminConfig(username), log);
      expect(result).toMatchObject({ id, roles: ['admin'] });
      expect((await users.findById(id))?.roles).toEqual(['admin']);
      expect(log.lines.map((l) => l.level)).toEqual(['warn']);
    });

    it("refuses, naming ADMIN_EMAIL, when the admin's email belongs to another account", async () => {
      const other = unique('frank');
      await signup(other, 'frank-own-password');
      const username = unique('root');
      const attempt = ensureAdmin(users, hasher, { ...adminConfig(username), ADMIN_EMAIL: `${other}@example.com` }, recordingLog());
      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(attempt).rejects.toMatchObject({ variable: 'ADMIN_EMAIL' });
      expect(await users.findByLogin(username)).toBeUndefined();
    });

    it('rejects half-set settings with a ConfigError before touching the store', async () => {
      await expect(ensureAdmin(users, hasher, { ADMIN_USERNAME: 'half' }, recordingLog())).rejects.toMatchObject({
        variable: 'ADMIN_PASSWORD',
      });
      await expect(ensureAdmin(users, hasher, { ADMIN_PASSWORD: 'half-set admin secret' }, recordingLog())).rejects.toMatchObject({
        variable: 'ADMIN_USERNAME',
      });
      expect(await users.findByLogin('half')).toBeUndefined();
    });
  });

  describe('roles in access tokens', () => {
    it("an admin's token carries roles ['admin'], by username and by email; the public view has no roles", async () => {
      const username = unique('boss');
      const created = await ensureAdmin(users, hasher, adminConfig(username), recordingLog());
      for (const name of [username, `${username}@admin.invalid`]) {
        const { status, principal, user } = await login(name, `${username}-admin-secret`);
        expect(status).toBe(200);
        expect(principal).toEqual({ userId: created!.id, name: username, roles: ['admin'] });
        expect(Object.keys(user!).sort()).toEqual(['avatarUrl', 'color', 'createdAt', 'displayName', 'id', 'username']);
      }
    });

    it("a normal user's token carries roles []", async () => {
      const username = unique('gina');
      const id = await signup(username, 'gina-own-password');
      expect((await login(username, 'gina-own-password')).principal).toEqual({ userId: id, name: username, roles: [] });
    });

    it('a role taken away is absent from tokens issued afterwards', async () => {
      const username = unique('hank');
      const created = await ensureAdmin(users, hasher, adminConfig(username), recordingLog());
      await users.setRoles(created!.id, []);
      expect((await login(username, `${username}-admin-secret`)).principal?.roles).toEqual([]);
    });
  });

  describe('UserStore roles', () => {
    it('a new account has none unless given; create and setRoles drop duplicates', async () => {
      const plain = await users.create({ username: unique('ivy'), email: `${unique('ivy')}@example.com`, passwordHash: 'x' });
      expect(plain.roles).toEqual([]);
      const given = await users.create({ username: unique('jo'), email: `${unique('jo')}@example.com`, passwordHash: 'x', roles: ['admin', 'admin'] });
      expect(given.roles).toEqual(['admin']);
      const updated = await users.setRoles(plain.id, ['admin', 'x', 'admin']);
      expect(updated).toEqual({ ...plain, roles: ['admin', 'x'] });
      expect(await users.findByLogin(plain.username)).toEqual(updated);
      expect(await users.findByLogin(plain.email)).toEqual(updated);
    });

    it('setRoles on an unknown or malformed id resolves to undefined', async () => {
      expect(await users.setRoles(new ObjectId().toHexString(), ['admin'])).toBeUndefined();
      expect(await users.setRoles('not-an-id', ['admin'])).toBeUndefined();
    });

    it('hands out copies: changing a returned record does not change the store', async () => {
      const record = await users.create({ username: unique('kim'), email: `${unique('kim')}@example.com`, passwordHash: 'x' });
      record.roles.push('admin');
      const read = await users.findById(record.id);
      read!.roles.push('admin');
      expect((await users.findById(record.id))?.roles).toEqual([]);
    });

    it.runIf(kind === 'mongo')('reads documents written before roles existed as roles []', async () => {
      const _id = new ObjectId();
      const username = unique('Legacy');
      const passwordHash = await hasher.hash(`${username}-admin-secret`);
      await store.db!.collection('users').insertOne({
        _id,
        username,
        usernameKey: username.toLowerCase(),
        email: `${username.toLowerCase()}@example.com`,
        passwordHash,
        createdAt: new Date(),
      });
      const id = _id.toHexString();
      expect((await users.findById(id))?.roles).toEqual([]);
      expect((await users.findByLogin(username))?.roles).toEqual([]);
      expect((await login(username, `${username}-admin-secret`)).principal).toEqual({ userId: id, name: username, roles: [] });

      const promoted = await ensureAdmin(users, hasher, adminConfig(username), recordingLog());
      expect(promoted).toMatchObject({ id, roles: ['admin'], passwordHash });
      expect(await store.db!.collection('users').findOne({ _id })).toMatchObject({ roles: ['admin'] });
    });
  });
});
