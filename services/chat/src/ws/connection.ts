import type { WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import type { ClientFrame, ErrorFrame, Principal, ServerFrame, WsErrorCode } from '@chatorbit/shared';
import type { ChatNode } from '../node.ts';
import type { Subscriber } from '../hub/hub.ts';
import type { ChatMetrics } from '../metrics.ts';
import { checkText, decodeClientFrame } from './decode.ts';

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxTextLength: number;
}

/** Live frames that arrive while a join is reading history; flushed after `joined`. */
type Joining = { buffered: Array<{ seq: number; frame: string }> };

/**
 * One client socket speaking the v1 protocol. Frames from a client are handled in arrival
 * order, one at a time, so a send after a join always sees the join done.
 */
export class Connection implements Subscriber {
  readonly principal: Principal;
  private readonly socket: WebSocket;
  private readonly node: ChatNode;
  private readonly limits: ConnectionLimits;
  private readonly metrics: ChatMetrics;
  private readonly log: FastifyBaseLogger;
  /** Rooms joined (value undefined) or being joined (value buffers live frames). */
  private readonly rooms = new Map<string, Joining | undefined>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Cleared when a ping goes out, set by the pong; still clear at the next ping = dead peer. */
  private alive = true;

  constructor(socket: WebSocket, principal: Principal, node: ChatNode, limits: ConnectionLimits, metrics: ChatMetrics, log: FastifyBaseLogger) {
    this.socket = socket;
    this.principal = principal;
    this.node = node;
    this.limits = limits;
    this.metrics = metrics;
    this.log = log;
    socket.on('message', (data, isBinary) => {
      const raw = data as Buffer;
      this.queue = this.queue.then(() => this.receive(raw, isBinary));
    });
    socket.on('pong', () => {
      this.alive = true;
    });
  }

  /** Resolves when every frame received so far has been handled. */
  drained(): Promise<void> {
    return this.queue;
  }

  deliver(room: string, seq: number, frame: string) {
    const joining = this.rooms.get(room);
    if (joining) joining.buffered.push({ seq, frame });
    else this.socket.send(frame);
  }

  /** Pings the peer; terminates the socket if the previous ping went unanswered. */
  heartbeat() {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  /** Called once the socket has closed: waits for frames in flight, then leaves every room. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await Promise.allSettled([...this.rooms.keys()].map((room) => this.node.leave(room, this)));
    this.rooms.clear();
  }

  private async receive(data: Buffer, isBinary: boolean) {
    if (this.closed) return;
    if (isBinary) return this.fail('invalid_frame', 'binary frames are not supported; send JSON text');
    if (data.length > this.limits.maxFrameBytes) {
      return this.fail('frame_too_large', `frame is over ${this.limits.maxFrameBytes} bytes`);
    }
    const decoded = decodeClientFrame(data.toString('utf8'));
    if (!decoded.ok) return this.fail(decoded.code, decoded.message, decoded);
    try {
      await this.handle(decoded.frame);
    } catch (err) {
      this.log.warn({ err, type: decoded.frame.type }, 'frame failed');
      const frame = decoded.frame;
      this.fail('unavailable', 'the chat backend is unavailable; try again', {
        ...('room' in frame ? { room: frame.room } : {}),
        ...('nonce' in frame ? { nonce: frame.nonce } : {}),
      });
    }
  }

  private async handle(frame: ClientFrame) {
    switch (frame.type) {
      case 'ping':
        return this.send({ type: 'pong' });
      case 'join':
        return this.join(frame.room);
      case 'leave':
        if (!this.rooms.has(frame.room)) return this.fail('not_joined', `not in room ${frame.room}`, { room: frame.room });
        this.rooms.delete(frame.room);
        await this.node.leave(frame.room, this);
        return this.send({ type: 'left', room: frame.room });
      case 'send': {
        const { room, nonce } = frame;
        if (!this.rooms.has(room)) return this.fail('not_joined', `join ${room} before sending to it`, { room, nonce });
        const problem = checkText(frame.text, this.limits.maxTextLength);
        if (problem) return this.fail('invalid_text', problem, { room, nonce });
        const message = await this.node.send(room, this.principal, frame.text);
        return this.send({ type: 'ack', nonce, id: message.id, seq: message.seq });
      }
    }
  }

  private async join(room: string) {
    if (this.rooms.has(room)) {
      // Joining twice is harmless: answer with the room's state again, membership unchanged.
      this.rooms.delete(room);
      await this.node.leave(room, this);
    }
    const joining: Joining = { buffered: [] };
    this.rooms.set(room, joining);
    let state;
    try {
      state = await this.node.join(room, this);
    } catch (err) {
      this.rooms.delete(room);
      throw err;
    }
    this.send({ type: 'joined', room, seq: state.seq, history: state.history });
    const newest = state.history.at(-1)?.seq ?? 0;
    this.rooms.set(room, undefined);
    for (const { seq, frame } of joining.buffered) if (seq > newest) this.socket.send(frame);
  }

  private send(frame: ServerFrame) {
    this.socket.send(JSON.stringify(frame));
  }

  private fail(code: WsErrorCode, message: string, context: { nonce?: string; room?: string } = {}) {
    this.metrics.frameErrors.inc({ code });
    const frame: ErrorFrame = { type: 'error', code, message };
    if (context.nonce !== undefined) frame.nonce = context.nonce;
    if (context.room !== undefined) frame.room = context.room;
    this.send(frame);
  }
}
