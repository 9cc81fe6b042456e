// The Socket.IO 4 peer: the smallest server equivalent to ChatOrbit's hot path, run as its own
// process. Rooms fan out across processes through @socket.io/redis-adapter (one Redis pub/sub
// channel per namespace). `join` and `msg` are acknowledged; a message goes to every socket of
// the room, the sender's included, with the fields of a ChatOrbit message except seq.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';

const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL;
const nodeId = process.env.NODE_ID ?? String(process.pid);
if (!port || !redisUrl) throw new Error('PORT and REDIS_URL are required');

const ROOM = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TEXT = 500;

const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const http = createServer((req, res) => {
  const ready = req.url === '/readyz' && pub.status === 'ready' && sub.status === 'ready';
  res.writeHead(ready ? 200 : 503).end();
});
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.adapter(createAdapter(pub, sub));

let counter = 0;
io.on('connection', (socket) => {
  const name = typeof socket.handshake.auth.name === 'string' ? socket.handshake.auth.name : 'anonymous';
  const user = { id: name, name };
  socket.on('join', (room: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    if (typeof room !== 'string' || !ROOM.test(room)) return ack({ ok: false, error: 'invalid_room' });
    void socket.join(room);
    ack({ ok: true });
  });
  socket.on('msg', (body: { room?: unknown; text?: unknown } | undefined, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const room = body?.room;
    const text = body?.text;
    if (typeof room !== 'string' || !socket.rooms.has(room)) return ack({ ok: false, error: 'not_joined' });
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT) return ack({ ok: false, error: 'invalid_text' });
    const id = `${nodeId}-${++counter}`;
    io.to(room).emit('msg', { id, room, user, text, ts: Date.now() });
    ack({ ok: true, id });
  });
});

const shutdown = () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
http.listen(port, '127.0.0.1');
