import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createTokenSigner, createTokenVerifier, loadConfig, type TokenSigner } from '@chatorbit/shared';
import { TestClient } from '@chatorbit/shared/testing';
import { buildChatApp } from '../app.ts';
import { chatConfigSchema, type ChatConfig } from '../config.ts';
import { createChatEngine, type ChatEngine, type EngineClients } from '../engine.ts';

/** An engine under test: every node made from its clients shares one bus and one log store. */
export interface Engine {
  name: string;
  /** Extra config for every node (e.g. a Redis key prefix of the test's own). */
  env?: Record<string, string>;
  clients(): EngineClients;
  close(): Promise<void>;
}

export const settings = { issuer: 'chatorbit', audience: 'chatorbit' };

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

  constructor(engine: Engine, env: Record<string, string> = {}) {
    this.engine = engine;
    this.config = loadConfig(chatConfigSchema, { LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...engine.env, ...env });
  }

  async start(count: number) {
    this.signer ??= await createTokenSigner(settings);
    const verifier = createTokenVerifier(settings, this.signer.jwks());
    for (let i = 0; i < count; i++) {
      const nodeId = `node-${this.nodes.length}-${randomBytes(3).toString('hex')}`;
      const engine = await createChatEngine(this.config, nodeId, this.engine.clients());
      const app = await buildChatApp(this.config, { nodeId, verifier, ...engine });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      this.nodes.push({ app, engine, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` });
    }
    return this;
  }

  token(userId: string, name: string) {
    return this.signer.sign({ userId, name, roles: [] }, 300);
  }

  async connect(node: number, userId = randomUserId(), name = `user-${userId.slice(-4)}`) {
    const client = await TestClient.connect(`${this.nodes[node]!.wsUrl}?token=${await this.token(userId, name)}`);
    return Object.assign(client, { userId, name });
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
