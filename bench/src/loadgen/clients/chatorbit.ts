import WebSocket from 'ws';
import type { PublisherSpec, SubscriberSpec } from '../protocol.ts';
import { MAX_PUBLISHER_BUFFER, withTimeout, wsBase, type ClientContext, type PeerClient, type Publisher } from './client.ts';

const MESSAGE = Buffer.from('{"type":"message"');
const BATCH = Buffer.from('{"type":"batch"');
const ACK = Buffer.from('{"type":"ack"');
const ERROR = Buffer.from('{"type":"error"');
const SEQ = Buffer.from('"seq":');

const startsWith = (data: Buffer, prefix: Buffer) => prefix.compare(data, 0, prefix.length) === 0;

function seqAt(data: Buffer, at: number): number {
  let n = 0;
  for (let i = at + SEQ.length; i < data.length; i++) {
    const c = data[i]! - 0x30;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Messages in a frame, without parsing it (the server writes `type` first). A batch holds
 * consecutive messages of one room, so its count is the span of its first and last seq, found
 * from either end; a gap inside a batch would be over-counted here, and is caught by the
 * sampling sockets, which parse everything. A text cannot contain `"seq":` unescaped.
 */
export function countMessages(data: Buffer): number {
  if (startsWith(data, MESSAGE)) return 1;
  if (!startsWith(data, BATCH)) return 0;
  const first = data.indexOf(SEQ);
  const last = data.lastIndexOf(SEQ);
  if (first === -1) return 0;
  return seqAt(data, last) - seqAt(data, first) + 1;
}

interface WireMessage {
  seq?: number;
  text?: unknown;
}

type Frame =
  | { type: 'joined' }
  | { type: 'message'; seq?: number; text?: unknown }
  | { type: 'batch'; messages: WireMessage[] }
  | { type: 'error'; code: string; message: string }
  | { type: string };

/** A socket of the v1 protocol, open and joined to `rooms`; `onFrame` then gets every frame. */
function open(
  ctx: ClientContext,
  node: number,
  user: number,
  rooms: readonly string[],
  index: number,
  sample: boolean,
): Promise<WebSocket> {
  const { plan } = ctx;
  const url = `${wsBase(plan.nodes[node]!)}/ws?token=${encodeURIComponent(plan.tokens[user]!)}`;
  const localAddress = ctx.localAddress(index);
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    skipUTF8Validation: !sample,
    ...(localAddress ? { localAddress } : {}),
  });
  const joined = new Promise<WebSocket>((resolve, reject) => {
    let pending = rooms.length;
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'joined' && --pending === 0) {
        ws.off('message', onMessage);
        resolve(ws);
      } else if (frame.type === 'error') {
        reject(new Error(`join refused: ${(frame as { message: string }).message}`));
      }
    };
    ws.on('message', onMessage);
    ws.once('open', () => {
      for (const room of rooms) ws.send(JSON.stringify({ type: 'join', room }));
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed while joining: ${code} ${reason.toString()}`)));
  });
  return withTimeout(joined, plan.connectTimeoutMs, `join ${rooms[0]} on node ${node}`, () => ws.terminate()).then(
    () => {
      ws.removeAllListeners('error');
      ws.removeAllListeners('close');
      ws.on('error', () => {});
      return ws;
    },
  );
}

export function chatorbitClient(ctx: ClientContext): PeerClient {
  const { stats } = ctx;
  return {
    async subscribe(spec: SubscriberSpec, index: number) {
      const ws = await open(ctx, spec.node, spec.user, [spec.room], index, spec.sample);
      let closing = false;
      ws.on('close', (code) => {
        if (!closing) stats.closed(code);
      });
      if (spec.sample) {
        ws.on('message', (data: Buffer) => {
          const frame = JSON.parse(data.toString()) as Frame;
          const messages = frame.type === 'message' ? [frame as WireMessage]
            : frame.type === 'batch' ? (frame as { messages: WireMessage[] }).messages : [];
          if (messages.length === 0) return;
          stats.received += messages.length;
          stats.frames++;
          stats.sampledFrames++;
          stats.sampledBytes += data.length;
          for (const m of messages) stats.sampled(index, spec.node, m.text, m.seq);
        });
      } else {
        ws.on('message', (data: Buffer) => {
          const n = countMessages(data);
          if (n === 0) return;
          stats.received += n;
          stats.frames++;
        });
      }
      return () => {
        closing = true;
        ws.terminate();
      };
    },

    async publisher(spec: PublisherSpec): Promise<Publisher> {
      const ws = await open(ctx, spec.node, spec.user, spec.rooms, -1, false);
      let closing = false;
      ws.on('close', (code) => {
        if (!closing) stats.closed(code);
      });
      ws.on('message', (data: Buffer) => {
        const n = countMessages(data);
        if (n > 0) {
          stats.received += n;
          stats.frames++;
        } else if (startsWith(data, ACK)) stats.acked++;
        else if (startsWith(data, ERROR)) stats.sendErrors++;
      });
      return {
        id: spec.id,
        rooms: spec.rooms,
        send(room, text, nonce) {
          if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_PUBLISHER_BUFFER) return false;
          ws.send(JSON.stringify({ type: 'send', room, text, nonce }));
          return true;
        },
        close() {
          closing = true;
          ws.terminate();
        },
      };
    },
  };
}
