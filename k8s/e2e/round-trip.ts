// A chat round trip against a running ChatOrbit, through its public entry point:
//   node k8s/e2e/round-trip.ts [base URL, default http://localhost:8080] [path of the second socket, default /ws/chat]
// Signs up two users and logs them in; bob opens a WebSocket on /ws and joins a fresh room, alice
// opens the second socket on the original frontend's /ws/chat (or the path given). Alice posts and
// bob receives it; then bob posts and alice receives it; both messages are then read back from the
// room's history. On /ws/chat alice speaks that socket's own protocol (docs/PROTOCOL.md, "Compat"):
// the room in the URL, `{room_id, content}` frames, every message of the room, her own included, as
// `{id, room_id, user_id, content}`; on any other path, the v1 protocol of /ws. The chat service
// serves both paths itself: an Ingress or HTTPRoute must send them to it unchanged (the chart does),
// and the gateway relays both (compose, port-forward). Exits 0 on success, 1 (with the reason)
// otherwise. Needs only Node.js 24 (fetch and WebSocket are built in).
import { randomBytes } from 'node:crypto';

const base = new URL(process.argv[2] ?? 'http://localhost:8080');
const wsBase = new URL(base);
wsBase.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
const secondPath = process.argv[3] ?? '/ws/chat';
const TIMEOUT_MS = Number(process.env.ROUND_TRIP_TIMEOUT_MS ?? 20_000);
const suffix = randomBytes(4).toString('hex');

type Frame = Record<string, unknown>;

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
async function connect(path: string, query: Record<string, string>) {
  const ws = new WebSocket(new URL(`${path}?${new URLSearchParams(query).toString()}`, wsBase));
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
  const compat = secondPath.endsWith('/ws/chat');
  const bobSocket = await connect('/ws', { token: bob });
  bobSocket.send({ type: 'join', room });
  await bobSocket.next((f) => f.type === 'joined' && f.room === room, `joined ${room}`);
  // /ws/chat: in the room of the URL from the start, with no frame to say so. Frames are handled
  // in order, so her first post comes after her join.
  const aliceSocket = await connect(secondPath, compat ? { token: alice, room_id: room } : { token: alice });
  if (!compat) {
    aliceSocket.send({ type: 'join', room });
    await aliceSocket.next((f) => f.type === 'joined' && f.room === room, `joined ${room}`);
  }
  const has = (f: Frame, text: string) => (f.type === 'message' && f.text === text) || (f.type === 'batch' && JSON.stringify(f).includes(text));

  // alice → bob. On /ws/chat her own message coming back is the acknowledgement (it carries the id).
  const first = `hello from alice ${suffix}`;
  aliceSocket.send(compat ? { room_id: room, content: first } : { type: 'send', room, text: first, nonce: '1' });
  const [firstAck, received] = await Promise.all([
    compat
      ? aliceSocket.next((f) => f.room_id === room && f.content === first, 'her own message back')
      : aliceSocket.next((f) => f.type === 'ack' && f.nonce === '1', 'ack'),
    bobSocket.next((f) => has(f, first), 'the message from alice'),
  ]);
  // bob → alice: she is in the room for sure now (her own message came back).
  const second = `hello from bob ${suffix}`;
  bobSocket.send({ type: 'send', room, text: second, nonce: '2' });
  const secondAck = await bobSocket.next((f) => f.type === 'ack' && f.nonce === '2', 'ack');
  await aliceSocket.next((f) => (compat ? f.room_id === room && f.content === second && f.id === secondAck.id : has(f, second)), 'the message from bob');

  const history = await api<{ messages: { id: string; text: string }[] }>(`/api/v1/rooms/${room}/messages?limit=10`, undefined, bob);
  for (const [id, text] of [[firstAck.id, first], [secondAck.id, second]]) {
    if (!history.messages.some((m) => m.id === id && m.text === text)) {
      throw new Error(`the message ${String(id)} is not in the room's history: ${JSON.stringify(history)}`);
    }
  }
  if (compat) {
    // The original frontend's history route (through the gateway), newest first.
    const old = await api<{ id: string; content: string }[]>(`/chat/history/${room}`);
    if (old.map((m) => m.id).join() !== [secondAck.id, firstAck.id].join()) throw new Error(`GET /chat/history/${room}: ${JSON.stringify(old)}`);
  }
  bobSocket.close();
  aliceSocket.close();
  process.stdout.write(
    `round trip ok: alice (${secondPath}) → bob (/ws) (${String(received.type)}) and back in ${room}, messages ${String(firstAck.id)}, ${String(secondAck.id)}, in history; ${Math.round(performance.now() - started)} ms\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`round trip failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
