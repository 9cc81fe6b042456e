// A chat round trip against a running ChatOrbit, through its public entry point:
//   node k8s/e2e/round-trip.ts [base URL, default http://localhost:8080] [path of the second socket, default /ws/chat]
// Signs up two users, logs them in, opens one WebSocket on /ws and one on the original frontend's
// /ws/chat (or the path given), joins both to a fresh room, sends from the second and waits for the
// first to receive it, then reads it back from the room's history. Exits 0 on success, 1 (with the
// reason) otherwise. (The chat service serves /ws only: /ws/chat works where the Ingress or
// HTTPRoute rewrites it to /ws, as the chart does with ingress-nginx and the Gateway API.)
// Needs only Node.js 24 (fetch and WebSocket are built in).
import { randomBytes } from 'node:crypto';

const base = new URL(process.argv[2] ?? 'http://localhost:8080');
const wsBase = new URL(base);
wsBase.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
const secondPath = process.argv[3] ?? '/ws/chat';
const TIMEOUT_MS = Number(process.env.ROUND_TRIP_TIMEOUT_MS ?? 20_000);
const suffix = randomBytes(4).toString('hex');

type Frame = { type: string; [key: string]: unknown };

async function api<T>(path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function user(name: string): Promise<string> {
  const password = `round trip ${suffix} ${name}`;
  await api('/api/v1/auth/signup', { username: `${name}_${suffix}`, email: `${name}_${suffix}@example.com`, password });
  const { accessToken } = await api<{ accessToken: string }>('/api/v1/auth/login', { login: `${name}_${suffix}`, password });
  return accessToken;
}

/** A WebSocket whose frames can be awaited one condition at a time. */
async function connect(path: string, token: string) {
  const ws = new WebSocket(new URL(`${path}?token=${encodeURIComponent(token)}`, wsBase));
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.addEventListener('message', (event) => {
    frames.push(JSON.parse(String(event.data)) as Frame);
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('close', (e) => reject(new Error(`${path}: closed with ${e.code} ${e.reason} before opening`)), { once: true });
    ws.addEventListener('error', () => reject(new Error(`${path}: connection failed`)), { once: true });
  });
  ws.addEventListener('close', (e) => {
    if (e.code !== 1000) process.stderr.write(`${path}: closed with ${e.code} ${e.reason}\n`);
  });
  return {
    send: (frame: Frame) => ws.send(JSON.stringify(frame)),
    close: () => ws.close(1000),
    next(predicate: (f: Frame) => boolean, what: string): Promise<Frame> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find(predicate);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${path}: no ${what} within ${TIMEOUT_MS} ms; frames so far: ${JSON.stringify(frames)}`));
        }, TIMEOUT_MS);
        waiters.add(check);
        check();
      });
    },
  };
}

async function main() {
  const started = performance.now();
  const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
  const room = `e2e-${suffix}`;
  const bobSocket = await connect('/ws', bob);
  const aliceSocket = await connect(secondPath, alice);
  for (const socket of [bobSocket, aliceSocket]) {
    socket.send({ type: 'join', room });
    await socket.next((f) => f.type === 'joined' && f.room === room, `joined ${room}`);
  }
  const text = `hello from alice ${suffix}`;
  aliceSocket.send({ type: 'send', room, text, nonce: '1' });
  const [ack, received] = await Promise.all([
    aliceSocket.next((f) => f.type === 'ack' && f.nonce === '1', 'ack'),
    bobSocket.next((f) => (f.type === 'message' && f.text === text) || (f.type === 'batch' && JSON.stringify(f).includes(text)), 'the message'),
  ]);
  const history = await api<{ messages: { id: string; text: string }[] }>(`/api/v1/rooms/${room}/messages?limit=10`, undefined, bob);
  if (!history.messages.some((m) => m.id === ack.id && m.text === text)) {
    throw new Error(`the message ${String(ack.id)} is not in the room's history: ${JSON.stringify(history)}`);
  }
  bobSocket.close();
  aliceSocket.close();
  process.stdout.write(
    `round trip ok: alice (${secondPath}) → bob (/ws) in ${room}, message ${String(ack.id)} seq ${String(ack.seq)} (${received.type}), in history; ${Math.round(performance.now() - started)} ms\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`round trip failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
