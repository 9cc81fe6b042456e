import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createTokenSigner, type TokenSigner } from '@chatorbit/shared';
import { freePort, spawnService, TestClient, waitFor, type ServiceProcess } from '@chatorbit/shared/testing';

const chatMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const settings = { issuer: 'chatorbit', audience: 'chatorbit' };

/** A viewer that records every seq it is given and, when its node dies, resumes on another. */
class Viewer {
  readonly seqs: number[] = [];
  recovered: boolean[] = [];
  resumedAt = 0;
  private socket!: WebSocket;
  private done = false;
  private readonly token: string;
  private readonly room: string;

  constructor(token: string, room: string) {
    this.token = token;
    this.room = room;
  }

  connect(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = new WebSocket(`${url}?token=${this.token}`);
      this.socket.once('error', reject);
      this.socket.on('open', () => {
        const last = this.seqs.at(-1);
        this.socket.send(JSON.stringify({ type: 'join', room: this.room, ...(last !== undefined ? { since: last } : {}) }));
      });
      this.socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; seq?: number; history?: Array<{ seq: number }>; messages?: Array<{ seq: number }>; recovered?: boolean };
        if (frame.type === 'joined') {
          if (frame.recovered !== undefined) {
            this.recovered.push(frame.recovered);
            this.resumedAt = Date.now();
          }
          if (frame.recovered !== undefined) this.seqs.push(...frame.history!.map((m) => m.seq));
          resolve();
        } else if (frame.type === 'message') this.seqs.push(frame.seq!);
        else if (frame.type === 'batch') this.seqs.push(...frame.messages!.map((m) => m.seq));
      });
    });
  }

  /** Calls `handler` whenever the current socket closes, until close(). */
  onClose(handler: () => void) {
    this.socket.once('close', () => {
      if (this.done) return;
      handler();
    });
  }

  close() {
    this.done = true;
    this.socket.close();
  }
}

let signer: TokenSigner;
let jwks: Server;
let jwksUrl: string;
const nodes: ServiceProcess[] = [];

beforeAll(async () => {
  signer = await createTokenSigner(settings);
  const port = await freePort();
  jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(signer.jwks())));
  await new Promise<void>((resolve) => jwks.listen(port, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
});

afterAll(async () => {
  for (const node of nodes) await node.stop('SIGKILL');
  jwks.close();
});

it('resumes without gap or duplicate when one of three chat nodes is SIGKILLed mid-stream', async () => {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `resume-${id}`, AUTH_JWKS_URL: jwksUrl, BATCH_WINDOW_MS: '25', RATE_LIMIT_MESSAGES: '0', MAX_FRAMES_PER_SEC: '100000' };
  for (let i = 0; i < 3; i++) nodes.push(await spawnService(chatMain, { ...env, NODE_ID: `node-${i}` }));
  const ws = nodes.map((n) => n.url.replace('http', 'ws') + '/ws');
  const room = 'stream';
  const token = (n: number) => signer.sign({ userId: n.toString(16).padStart(24, '0'), name: `viewer${n}`, roles: [] }, 600);

  // 30 viewers on the node that will die, 10 on a survivor.
  const viewers: Viewer[] = [];
  for (let i = 0; i < 40; i++) {
    const viewer = new Viewer(await token(i + 1), room);
    await viewer.connect(i < 30 ? ws[2]! : ws[1]!);
    viewers.push(viewer);
  }
  let killedAt = 0;
  viewers.forEach((viewer, i) =>
    viewer.onClose(() => {
      // Its node is gone: resume on a survivor from the last seq it saw.
      void viewer.connect(ws[i % 2]!);
    }),
  );

  const publisher = await TestClient.connect(`${ws[0]}?token=${await token(999)}`);
  await publisher.request({ type: 'join', room }, (f) => f.type === 'joined');
  const total = 1500;
  for (let sent = 0; sent < total; ) {
    for (let i = 0; i < 50; i++, sent++) publisher.send({ type: 'send', room, text: `message ${sent}`, nonce: String(sent) });
    await publisher.collect((f) => f.type === 'ack', sent, 10_000);
    if (sent === 500) {
      killedAt = Date.now();
      await nodes[2]!.stop('SIGKILL');
    }
  }

  await waitFor(() => viewers.every((v) => v.seqs.at(-1) === total), { timeoutMs: 20_000, message: 'every viewer to reach the last seq' });
  const resumedIn = Math.max(...viewers.slice(0, 30).map((v) => v.resumedAt)) - killedAt;
  console.log(`all 30 viewers of the killed node resumed within ${resumedIn} ms`);
  for (const [i, viewer] of viewers.entries()) {
    expect(viewer.seqs, `viewer ${i}`).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    expect(viewer.recovered.every(Boolean), `viewer ${i} recovered`).toBe(true);
  }
  expect(viewers.slice(0, 30).every((v) => v.recovered.length === 1)).toBe(true);
  publisher.close();
  for (const v of viewers) v.close();
}, 60_000);
