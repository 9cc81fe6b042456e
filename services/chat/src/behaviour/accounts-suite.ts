import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, loadConfig } from '@chatorbit/shared';
import { TestClient, waitFor } from '@chatorbit/shared/testing';
// Deactivation is the user service's route: the tests call it, as an admin would, and watch chat.
import { buildUserApp, userConfigSchema } from '../../../user/src/index.ts';
import { ChatCluster, isType, settings, type Engine } from './harness.ts';

let roomCounter = 0;
const freshRoom = () => `acct-${process.pid}-${Date.now().toString(36)}-${++roomCounter}`;
type User = Awaited<ReturnType<ChatCluster['addUser']>>;

interface OpenApi {
  paths: Record<string, Record<string, { summary?: string; tags?: string[]; requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> } }>>;
}

/** A request body's example: one is `example`, several are `examples` (the first taken). */
const exampleOf = (content: { example?: unknown; examples?: Record<string, { value: unknown }> } | undefined) =>
  content?.example ?? Object.values(content?.examples ?? {})[0]?.value;

const withRoom = (body: unknown, room: string) =>
  body !== null && typeof body === 'object' && 'room' in body ? { ...body, room } : body;

/** Every operation of an OpenAPI document, with its path parameters filled in. */
function operations(doc: OpenApi, room: string) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace('{room}', room).replace(/\{(userId|id)\}/g, 'f'.repeat(24)),
      summary: op.summary ?? '',
      tags: op.tags ?? [],
      // Valid bodies (the schema's example, in this room): a plain user must be refused for who
      // they are, not for the body.
      body: withRoom(exampleOf(op.requestBody?.content['application/json']) ?? (method === 'get' || method === 'delete' ? undefined : {}), room),
    })),
  );
}

export interface AccountsOptions {
  /**
   * Deactivates an account behind every node's back: the deactivation set is written, no event is
   * published. Only a networked engine can lose an event (Redis pub/sub is at most once).
   */
  deactivateSilently?: (engine: Engine, userId: string) => Promise<void>;
}

/**
 * Guests (tokens with the `guest` role: read, never send) and accounts an admin deactivated
 * (closed with 4403 on every node, refused from then on), on two chat nodes sharing an engine,
 * with the user service deactivating through the same engine as it does when deployed.
 */
export function accountsBehaviour(makeEngine: () => Promise<Engine>, opts: AccountsOptions = {}) {
  let engine: Engine;
  let cluster: ChatCluster;
  let userApp: FastifyInstance;
  let admin: User;
  const clients: TestClient[] = [];
  const track = <T extends TestClient>(c: T) => (clients.push(c), c);

  beforeAll(async () => {
    engine = await makeEngine();
    cluster = await new ChatCluster(engine, { RATE_LIMIT_MESSAGES: '0', MAX_FRAMES_PER_SEC: '1000' }).start(2);
    admin = await cluster.addUser('admin', ['admin']);
    userApp = await buildUserApp(loadConfig(userConfigSchema, { LOG_LEVEL: 'silent' }), {
      users: cluster.users,
      verifier: createTokenVerifier(settings, cluster.signer.jwks()),
      deactivations: cluster.nodes[0]!.engine.deactivations,
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await userApp?.close();
    await cluster?.stop();
    await engine?.close();
  });

  const guest = async () => {
    const userId = `guest-${randomBytes(8).toString('hex')}`;
    return { userId, name: `guest-${userId.slice(-4)}`, token: await cluster.token(userId, `guest-${userId.slice(-4)}`, ['guest']) };
  };
  const wsUrl = (node: number, token: string) => `${cluster.nodes[node]!.wsUrl}?token=${token}`;
  const userApi = async (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const res = await userApp.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() };
  };
  const deactivate = (user: User) => userApi(admin.token, 'POST', `/api/v1/users/${user.userId}/deactivate`);
  const reactivate = (user: User) => userApi(admin.token, 'POST', `/api/v1/users/${user.userId}/reactivate`);
  const openApi = async (app: FastifyInstance) => (await app.inject('/openapi.json')).json<OpenApi>();

  describe('guests', () => {
    it('join and read history and live messages, but a send is refused with guest_read_only and nothing is stored', async () => {
      const room = freshRoom();
      const writer = track(await cluster.connectAs(0, await cluster.addUser('writer')));
      await writer.request({ type: 'join', room }, isType('joined'));
      const first = await writer.request({ type: 'send', room, text: 'before', nonce: 'b' }, isType('ack'));

      const viewer = await guest();
      const socket = track(await TestClient.connect(wsUrl(1, viewer.token)));
      const joined = await socket.request({ type: 'join', room }, isType('joined'));
      expect(joined).toMatchObject({ seq: 1, history: [expect.objectContaining({ id: first.id, text: 'before' })] });
      const live = await writer.request({ type: 'send', room, text: 'live', nonce: 'l' }, isType('ack'));
      expect(await socket.next(isType('message'))).toMatchObject({ id: live.id, seq: 2 });

      const refused = await socket.request({ type: 'send', room, text: 'let me in', nonce: 'g1' }, isType('error'));
      expect(refused).toEqual({ type: 'error', code: 'guest_read_only', message: expect.any(String), room, nonce: 'g1' });
      // Not even to a room it has not joined, and the socket stays usable.
      expect(await socket.request({ type: 'send', room: freshRoom(), text: 'x', nonce: 'g2' }, isType('error'))).toMatchObject({ code: 'guest_read_only' });
      expect(await socket.request({ type: 'ping' }, isType('pong'))).toEqual({ type: 'pong' });

      // Nothing stored, no seq used: the next message is 3, and history holds the two.
      const next = await writer.request({ type: 'send', room, text: 'after', nonce: 'a' }, isType('ack'));
      expect(next.seq).toBe(3);
      const history = await cluster.api(1, viewer.token, 'GET', `/api/v1/rooms/${room}/messages`);
      expect(history.status).toBe(200);
      expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(['after', 'live', 'before']);
      expect(socket.all((f) => f.type === 'message' && (f.user as { id: string }).id === viewer.userId)).toEqual([]);
    });

    it('get 403 on every moderation route', async () => {
      const room = freshRoom();
      const viewer = await guest();
      const routes = operations(await openApi(cluster.nodes[0]!.app), room).filter((op) => op.tags.includes('moderation'));
      expect(routes.length).toBeGreaterThanOrEqual(20);
      for (const op of routes) {
        const res = await cluster.api(0, viewer.token, op.method, op.path, op.body);
        expect(res.status, `${op.method} ${op.path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      // A guest owns nothing: the room it tried to create has no owner.
      expect((await cluster.api(1, admin.token, 'GET', `/api/v1/rooms/${room}/roles`)).body.roles).toEqual([]);
    });
  });

  it("every admin route, chat and user service, answers 403 to a room's owner and moderator, a plain user and a guest", async () => {
    const room = freshRoom();
    const plain = await cluster.addUser('plain');
    const viewer = await guest();
    // The highest ranks below admin: the owner and a moderator of a room.
    const owner = await cluster.addUser('owner');
    const mod = await cluster.addUser('mod');
    expect((await cluster.api(0, owner.token, 'POST', '/api/v1/rooms', { room })).status).toBe(201);
    expect((await cluster.api(0, owner.token, 'PUT', `/api/v1/rooms/${room}/roles/${mod.userId}`, { role: 'moderator' })).status).toBe(204);
    const chatAdminRoutes = operations(await openApi(cluster.nodes[0]!.app), room).filter((op) => op.summary.includes('(admins)'));
    expect(chatAdminRoutes.map((op) => `${op.method} ${op.path}`)).toEqual(
      expect.arrayContaining(['POST /api/v1/bans', 'GET /api/v1/bans', `DELETE /api/v1/bans/${'f'.repeat(24)}`, 'PUT /api/v1/settings', 'PUT /api/v1/ratelimit', 'GET /api/v1/audit']),
    );
    const userAdminRoutes = operations(await openApi(userApp), room).filter((op) => op.summary.includes('(admins)'));
    expect(userAdminRoutes.map((op) => `${op.method} ${op.path}`).sort()).toEqual([
      `POST /api/v1/users/${'f'.repeat(24)}/deactivate`,
      `POST /api/v1/users/${'f'.repeat(24)}/reactivate`,
    ]);
    for (const caller of [owner, mod, plain, viewer]) {
      for (const op of chatAdminRoutes) {
        const res = await cluster.api(1, caller.token, op.method, op.path, op.body);
        expect(res.status, `${caller.name}: ${op.method} ${op.path}`).toBe(403);
      }
      for (const op of userAdminRoutes) {
        // Aimed at a real account: refused for who is asking, not for the target.
        const res = await userApi(caller.token, 'POST', op.path.replace('f'.repeat(24), plain.userId));
        expect(res.status, `${caller.name}: ${op.method} ${op.path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
    expect((await cluster.users.findById(plain.userId))?.deactivatedAt).toBeNull();
  });

  describe("the original frontend's socket (/ws/chat)", () => {
    const compatUrl = (node: number, token: string, room: string) => `${cluster.nodes[node]!.url.replace('http', 'ws')}/ws/chat?token=${token}&room_id=${room}`;

    it("moves a guest's socket to the room a frame names, but posts nothing: guest_read_only", async () => {
      const room = freshRoom();
      const author = await cluster.addUser('writer');
      const writer = track(await cluster.connectAs(0, author));
      await writer.request({ type: 'join', room }, isType('joined'));
      const viewer = await guest();
      const socket = track(await TestClient.connect(compatUrl(1, viewer.token, 'general')));
      const refused = await socket.request({ room_id: room, content: 'let me post' }, (f) => f.code === 'guest_read_only');
      expect(refused).toMatchObject({ user_id: viewer.userId, error: expect.any(String) });
      // The frame still moved it: it reads the room's live messages now.
      await waitFor(async () => {
        const text = `hello-${randomBytes(3).toString('hex')}`;
        await writer.request({ type: 'send', room, text, nonce: text }, isType('ack'));
        return socket.next((f) => f.content === text, 300).then(() => true, () => false);
      }, { message: 'the guest reads the room it moved to' });
      expect((await cluster.api(0, author.token, 'GET', `/api/v1/rooms/${room}/messages`)).body.messages.every((m: { user: { id: string } }) => m.user.id !== viewer.userId)).toBe(true);
    });

    it("closes a deactivated account's /ws/chat sockets with 4403 and refuses new ones", async () => {
      const target = await cluster.addUser('compat-target');
      const socket = track(await TestClient.connect(compatUrl(0, target.token, freshRoom())));
      expect((await deactivate(target)).status).toBe(200);
      expect(await socket.waitClosed()).toEqual({ code: 4403, reason: 'account deactivated' });
      expect(await new TestClient(compatUrl(1, target.token, 'general')).waitClosed()).toEqual({ code: 4403, reason: 'account deactivated' });
      expect((await reactivate(target)).status).toBe(200);
    });
  });

  describe('deactivated accounts', () => {
    it("close the account's sockets on every node with 4403, and only that account's", async () => {
      const room = freshRoom();
      const target = await cluster.addUser('target');
      const bystander = track(await cluster.connectAs(1, await cluster.addUser('bystander')));
      const sockets = [track(await cluster.connectAs(0, target)), track(await cluster.connectAs(1, target)), track(await cluster.connectAs(1, target))];
      for (const s of [...sockets, bystander]) await s.request({ type: 'join', room }, isType('joined'));

      const res = await deactivate(target);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: target.userId, deactivated: true });
      for (const s of sockets) expect(await s.waitClosed()).toEqual({ code: 4403, reason: 'account deactivated' });
      expect(await bystander.request({ type: 'ping' }, isType('pong'))).toEqual({ type: 'pong' });
      // The room's other members saw nothing sent in its name.
      expect(bystander.all(isType('message'))).toEqual([]);
    });

    it('refuse new handshakes on every node with 4403 and HTTP requests with 403, although the token has not expired; reactivation lets the account back', async () => {
      const room = freshRoom();
      const target = await cluster.addUser('returning');
      expect((await deactivate(target)).status).toBe(200);
      // A node started after the event never heard it: it refuses the account from the store.
      await cluster.start(1);
      for (const node of [0, 1, 2]) {
        const refused = new TestClient(wsUrl(node, target.token));
        expect(await refused.waitClosed(), `node ${node}`).toEqual({ code: 4403, reason: 'account deactivated' });
      }
      for (const [method, path, body] of [
        ['GET', `/api/v1/rooms/${room}/messages`],
        ['POST', '/api/v1/rooms', { room }],
        ['GET', `/api/v1/rooms/${room}/settings`],
      ] as const) {
        const res = await cluster.api(1, target.token, method, path, body);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('account_deactivated');
      }
      expect((await userApi(target.token, 'GET', '/api/v1/users/me')).body.error.code).toBe('account_deactivated');

      const back = await reactivate(target);
      expect(back.status).toBe(200);
      expect(back.body.deactivated).toBeUndefined();
      for (const node of [0, 1]) {
        const socket = track(await TestClient.connect(wsUrl(node, target.token)));
        expect(await socket.request({ type: 'join', room }, isType('joined'))).toMatchObject({ type: 'joined', room });
        expect(await socket.request({ type: 'send', room, text: `back on ${node}`, nonce: `n${node}` }, isType('ack'))).toMatchObject({ type: 'ack' });
      }
      expect((await cluster.api(0, target.token, 'GET', `/api/v1/rooms/${room}/messages`)).status).toBe(200);
    });

    it('deactivating is idempotent and announced again; admins cannot deactivate themselves; unknown ids are 404', async () => {
      const target = await cluster.addUser('twice');
      const socket = track(await cluster.connectAs(0, target));
      expect((await deactivate(target)).status).toBe(200);
      const at = (await cluster.users.findById(target.userId))?.deactivatedAt;
      expect(at).toBeInstanceOf(Date);
      expect((await socket.waitClosed()).code).toBe(4403);
      expect((await deactivate(target)).status).toBe(200);
      expect((await cluster.users.findById(target.userId))?.deactivatedAt).toEqual(at);
      expect(await engineDeactivated(target.userId)).toBe(true);

      const self = await userApi(admin.token, 'POST', `/api/v1/users/${admin.userId}/deactivate`);
      expect(self.status).toBe(403);
      expect(self.body.error.code).toBe('forbidden');
      expect((await userApi(admin.token, 'POST', `/api/v1/users/${'e'.repeat(24)}/deactivate`)).status).toBe(404);
      expect((await userApi(admin.token, 'POST', `/api/v1/users/${'e'.repeat(24)}/reactivate`)).status).toBe(404);
      expect((await userApi(admin.token, 'POST', '/api/v1/users/not-an-id/deactivate')).body.error.code).toBe('invalid_params');
      expect((await reactivate(target)).status).toBe(200);
      expect(await engineDeactivated(target.userId)).toBe(false);
    });

    if (opts.deactivateSilently) {
      const silently = opts.deactivateSilently;
      it('are refused at their next send by a node that missed the event (an admin too): the socket is closed with 4403, nothing stored', async () => {
        const room = freshRoom();
        const target = await cluster.addUser('missed', ['admin']);
        const socket = track(await cluster.connectAs(1, target));
        await socket.request({ type: 'join', room }, isType('joined'));
        await silently(engine, target.userId);
        socket.send({ type: 'send', room, text: 'still here?', nonce: 'm' });
        expect(await socket.waitClosed()).toEqual({ code: 4403, reason: 'account deactivated' });
        expect(socket.all(isType('ack'))).toEqual([]);
        expect((await cluster.api(0, admin.token, 'GET', `/api/v1/rooms/${room}/messages`)).body.messages).toEqual([]);
        // No node heard of it, and each refuses a new socket all the same.
        for (const node of [0, 1]) expect((await new TestClient(wsUrl(node, target.token)).waitClosed()).code).toBe(4403);
        expect((await reactivate(target)).status).toBe(200);
        expect(await engineDeactivated(target.userId)).toBe(false);
      });
    }
  });

  const engineDeactivated = (userId: string) => cluster.nodes[1]!.engine.deactivations.has(userId);
}
