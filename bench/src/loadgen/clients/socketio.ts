import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import type { PublisherSpec, SubscriberSpec } from '../protocol.ts';
import { MAX_PUBLISHER_BUFFER, withTimeout, wsBase, type ClientContext, type PeerClient, type Publisher } from './client.ts';

// Engine.IO v4 / Socket.IO v5 packet prefixes, one packet per WebSocket frame.
const OPEN = 0x30; // '0': engine handshake
const PING = 0x32; // '2': answered with '3'
const MESSAGE = 0x34; // '4' + Socket.IO packet type:
const SIO_CONNECT = 0x30;
const SIO_EVENT = 0x32;
const SIO_ACK = 0x33;
const SIO_CONNECT_ERROR = 0x34;

interface WireMessage {
  text?: unknown;
}

/**
 * A counting subscriber speaking Engine.IO over a bare `ws` socket, so that counting a frame
 * costs the same as on the ChatOrbit side (socket.io-client would decode every packet).
 */
function rawSubscriber(ctx: ClientContext, spec: SubscriberSpec, index: number): Promise<() => void> {
  const { plan, stats } = ctx;
  const localAddress = ctx.localAddress(index);
  const ws = new WebSocket(`${wsBase(plan.nodes[spec.node]!)}/socket.io/?EIO=4&transport=websocket`, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    ...(localAddress ? { localAddress } : {}),
  });
  let joined = false;
  let closing = false;
  const ready = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const kind = data[0];
      if (kind === MESSAGE) {
        const type = data[1];
        if (type === SIO_EVENT) {
          if (joined) {
            stats.received++;
            stats.frames++;
          }
        } else if (type === SIO_CONNECT) {
          ws.send(`420${JSON.stringify(['join', spec.room])}`);
        } else if (type === SIO_ACK) {
          joined = true;
          resolve();
        } else if (type === SIO_CONNECT_ERROR) {
          reject(new Error(`connect refused: ${data.toString()}`));
        }
      } else if (kind === PING) {
        ws.send('3');
      } else if (kind === OPEN) {
        ws.send(`40${JSON.stringify({ name: plan.tokens[spec.user] })}`);
      }
    });
    ws.once('error', reject);
    ws.on('close', (code) => {
      if (!joined) reject(new Error(`closed while joining: ${code}`));
      else if (!closing) stats.closed(code);
    });
  });
  return withTimeout(ready, plan.connectTimeoutMs, `join ${spec.room} on node ${spec.node}`, () => ws.terminate()).then(() => {
    ws.removeAllListeners('error');
    ws.on('error', () => {});
    return () => {
      closing = true;
      ws.terminate();
    };
  });
}

/** socket.io-client, for the few sockets that parse every message and for publishers. */
async function libraryClient(ctx: ClientContext, node: number, user: number, rooms: readonly string[]): Promise<Socket> {
  const socket = io(ctx.plan.nodes[node]!, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: ctx.plan.connectTimeoutMs,
    auth: { name: ctx.plan.tokens[user] },
  });
  const joined = (async () => {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    for (const room of rooms) await socket.emitWithAck('join', room);
  })();
  await withTimeout(joined, ctx.plan.connectTimeoutMs, `join ${rooms[0]} on node ${node}`, () => socket.disconnect());
  return socket;
}

export function socketioClient(ctx: ClientContext): PeerClient {
  const { stats } = ctx;
  const watchDisconnect = (socket: Socket, isClosing: () => boolean) =>
    socket.on('disconnect', (reason) => {
      if (!isClosing()) stats.closed(reason === 'io server disconnect' ? 1000 : 1006);
    });
  return {
    async subscribe(spec: SubscriberSpec, index: number) {
      if (!spec.sample) return rawSubscriber(ctx, spec, index);
      const socket = await libraryClient(ctx, spec.node, spec.user, [spec.room]);
      let closing = false;
      watchDisconnect(socket, () => closing);
      // The engine's 'packet' event carries the frame before decoding; its size is the wire size.
      socket.io.engine.on('packet', (packet: { type: string; data?: unknown }) => {
        if (packet.type === 'message' && typeof packet.data === 'string') {
          stats.sampledBytes += packet.data.length + 1;
          stats.sampledFrames++;
        }
      });
      socket.on('msg', (m: WireMessage) => {
        stats.received++;
        stats.frames++;
        stats.sampled(index, spec.node, m.text);
      });
      return () => {
        closing = true;
        socket.disconnect();
      };
    },

    async publisher(spec: PublisherSpec): Promise<Publisher> {
      const socket = await libraryClient(ctx, spec.node, spec.user, spec.rooms);
      let closing = false;
      watchDisconnect(socket, () => closing);
      socket.on('msg', () => {
        stats.received++;
        stats.frames++;
      });
      const onAck = (answer: { ok?: boolean } | undefined) => {
        if (answer?.ok) stats.acked++;
        else stats.sendErrors++;
      };
      return {
        id: spec.id,
        rooms: spec.rooms,
        send(room, text) {
          const transport = socket.io.engine?.transport as { ws?: WebSocket } | undefined;
          if (!socket.connected || (transport?.ws?.bufferedAmount ?? 0) > MAX_PUBLISHER_BUFFER) return false;
          socket.emit('msg', { room, text }, onAck);
          return true;
        },
        close() {
          closing = true;
          socket.disconnect();
        },
      };
    },
  };
}
