import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createTokenSigner, createTokenVerifier, loadConfig, MemoryUserStore, type TokenSigner, type UserStore } from '@chatorbit/shared';
import { TestClient } from '@chatorbit/shared/testing';
import { buildChatApp } from '../app.ts';
import { chatConfigSchema, type ChatConfig } from '../config.ts';
import { createChatEngine, type ChatEngine, type EngineClients } from '../engine.ts';

/** An engine under test: every node made from its clients shares one bus and one log store. */
export interface Engine {
  name: string;
  /** Extra config for every node (e.g. a Redis key prefix of the test's own). */
  env?: Record<string, string>;
  /** Accounts shared by the nodes (default: a new in-memory store per cluster). */
  users?: UserStore;
  clients(): EngineClients;
  close(): Promise<void>;
}

export const settings = { issuer: 'chatorbit', audience: 'chatorbit' };

/**
 * No rate limit, no frame guard and no connection limits: for tests that send (and connect)
 * faster than a person, every socket from 127.0.0.1.
 */
export const unlimited = {
  RATE_LIMIT_MESSAGES: '0',
  MAX_FRAMES_PER_SEC: '1000000',
  HANDSHAKES_PER_SEC_PER_IP: '0',
  MAX_CONNECTIONS_PER_IP: '0',
  MAX_CONNECTIONS_PER_USER: '0',
};

export interface RunningNode {
  app: FastifyInstance;
  url: string;
  wsUrl: string;
  engine: ChatEngine;
}

/** Chat nodes listening on loopback, sharing an engine, with one signer for their tokens. */
export class ChatCluster {
  readonly nodes: RunningNode[] = [];
  readonly config: ChatConfig;
  private readonly engine: Engine;
  signer!: TokenSigner;
  /** The accounts moderation looks targets up in: tests add users with addUser. */
  readonly users: UserStore;

  constructor(engine: Engine, env: Record<string, string> = {}) {
    this.engine = engine;
    this.users = engine.users ?? new MemoryUserStore();
    this.config = loadConfig(chatConfigSchema, { LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...engine.env, ...env });
  }

  async start(count: number) {
    this.signer ??= await createTokenSigner(settings);
    const verifier = createTokenVerifier(settings, this.signer.jwks());
    for (let i = 0; i < count; i++) {
      const nodeId = `node-${this.nodes.length}-${randomBytes(3).toString('hex')}`;
      const clients = this.engine.clients();
      const engine = await createChatEngine(this.config, nodeId, clients);
      const app = await buildChatApp(this.config, { nodeId, verifier, users: this.users, ...engine });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      this.nodes.push({ app, engine, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` });
    }
    return this;
  }

  token(userId: string, name: string, roles: string[] = []) {
    return this.signer.sign({ userId, name, roles }, 300);
  }

  /** Creates an account (moderation targets must exist); returns its id, name and a token. */
  async addUser(name: string, roles: string[] = []) {
    const user = await this.users.create({ username: `${name}-${randomBytes(3).toString('hex')}`, email: `${name}-${randomBytes(4).toString('hex')}@example.test`, passwordHash: 'x' });
    if (roles.length > 0) await this.users.setRoles(user.id, roles);
    return { userId: user.id, name: user.username, token: await this.token(user.id, user.username, roles) };
  }

  async connect(node: number, userId = randomUserId(), name = `user-${userId.slice(-4)}`) {
    const client = await TestClient.connect(`${this.nodes[node]!.wsUrl}?token=${await this.token(userId, name)}`);
    return Object.assign(client, { userId, name });
  }

  /** A socket for a user made by addUser. */
  async connectAs(node: number, user: { userId: string; name: string; token: string }) {
    const client = await TestClient.connect(`${this.nodes[node]!.wsUrl}?token=${user.token}`);
    return Object.assign(client, { userId: user.userId, name: user.name });
  }

  /** An authenticated JSON request to a node's HTTP API. */
  async api(node: number, token: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${this.nodes[node]!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, any> };
  }

  async stop() {
    for (const node of this.nodes.splice(0)) {
      await node.app.close();
      await node.engine.close();
    }
  }
}

export const randomUserId = () => randomBytes(12).toString('hex');

export const isType = (type: string, extra: Record<string, unknown> = {}) => (f: Record<string, unknown>) =>
  f.type === type && Object.entries(extra).every(([k, v]) => f[k] === v);

/** The seqs a client was given in `message` and `batch` frames, in arrival order. */
export const deliveredSeqs = (client: TestClient) =>
  client.frames.flatMap((f) =>
    f.type === 'message' ? [f.seq as number] : f.type === 'batch' ? (f.messages as Array<{ seq: number }>).map((m) => m.seq) : [],
  );
