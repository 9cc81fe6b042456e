import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import { closeCodes, isAdmin, isGuest, type ClientFrame, type ErrorFrame, type Message, type Principal, type ServerFrame, type WsErrorCode } from '@chatorbit/shared';
import { RefusedError, type ChatNode, type Session } from '../node.ts';
import type { Refused } from '../broker/broker.ts';
import type { Subscriber } from '../hub/hub.ts';
import { countFrameError, type ChatMetrics } from '../metrics.ts';
import { checkText, decodeClientFrame } from './decode.ts';

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxTextLength: number;
  /** Unsent bytes past which the socket is a slow consumer and is closed. */
  maxBufferedBytes: number;
  /** Frames per second a client may send (a burst of twice that); beyond, refused before any backend work. */
  maxFramesPerSec: number;
  /** Rooms one socket may be in at once; a join past it is refused with too_many_rooms. */
  maxRooms: number;
}

/**
 * A joined room's state on this socket. `held`: live messages that arrived while the join was
 * reading history, sent after `joined`. `floor`: the seq the join read up to; live messages at
 * or below it were in the history (pub/sub delivery can trail the read), so they are dropped.
 */
type RoomState = { held: Message[] | undefined; floor: number };

/**
 * One client socket speaking the v1 protocol. Frames from a client are handled in arrival
 * order, one at a time, so a send after a join always sees the join done.
 */
export class Connection implements Subscriber, Session {
  readonly principal: Principal;
  private readonly socket: WebSocket;
  /** The TCP socket under the WebSocket: fan-out writes its shared frames here directly. */
  private readonly raw: Socket;
  private readonly node: ChatNode;
  private readonly limits: ConnectionLimits;
  private readonly metrics: ChatMetrics;
  private readonly log: FastifyBaseLogger;
  private readonly rooms = new Map<string, RoomState>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Cleared when a ping goes out, set by the pong; still clear at the next ping = dead peer. */
  private alive = true;
  /** Frame-rate guard: a token bucket refilled at maxFramesPerSec. */
  private tokens: number;
  private refilledAt = Date.now();

  constructor(socket: WebSocket, principal: Principal, node: ChatNode, limits: ConnectionLimits, metrics: ChatMetrics, log: FastifyBaseLogger) {
    this.socket = socket;
    this.raw = (socket as unknown as { _socket: Socket })._socket;
    this.principal = principal;
    this.node = node;
    this.limits = limits;
    this.metrics = metrics;
    this.log = log;
    this.tokens = limits.maxFramesPerSec * 2;
    node.register(this);
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

  deliver(room: string, messages: readonly Message[], frame: Buffer) {
    const state = this.rooms.get(room);
    if (!state) return;
    if (state.held) {
      state.held.push(...messages);
    } else if (messages[0]!.seq > state.floor) {
      this.write(frame);
    } else {
      for (const message of messages) if (message.seq > state.floor) this.send({ type: 'message', ...message });
    }
  }

  notice(room: string, frame: string) {
    const state = this.rooms.get(room);
    if (state && !state.held && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
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

  kick(room: string | null, until: number | null, reason: string) {
    const rooms = room === null ? [...this.rooms.keys()] : this.rooms.has(room) ? [room] : [];
    for (const r of rooms) {
      this.rooms.delete(r);
      this.send({ type: 'banned', room: r, until, reason });
      void this.node.leave(r, this).catch((err: unknown) => this.log.warn({ err }, 'leave after a ban failed'));
    }
  }

  /** Closes the socket with `code`; frames still arriving are ignored. */
  end(code: number, reason: string) {
    this.closed = true;
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(code, reason);
  }

  /** Called once the socket has closed: waits for frames in flight, then leaves every room. */
  async close(): Promise<void> {
    this.closed = true;
    this.node.unregister(this);
    await this.queue;
    await Promise.allSettled([...this.rooms.keys()].map((room) => this.node.leave(room, this)));
    this.rooms.clear();
  }

  /**
   * Writes a frame shared with other sockets straight to the TCP socket (ws frames it the same
   * way: unmasked, no compression, so the bytes are identical). Past the buffer bound the
   * client is a slow consumer: closed with 4508 (the close frame queues behind what is
   * buffered; ws destroys the socket if the peer never answers it), and nothing more is queued.
   */
  private write(frame: Buffer) {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.raw.writableLength + frame.length > this.limits.maxBufferedBytes) {
      this.metrics.slowConsumers.inc();
      this.log.info({ buffered: this.raw.writableLength }, 'closing a slow consumer');
      this.socket.close(closeCodes.slowConsumer, 'slow consumer');
      return;
    }
    this.raw.write(frame);
  }

  private async receive(data: Buffer, isBinary: boolean) {
    if (this.closed) return;
    if (isBinary) return this.fail('invalid_frame', 'binary frames are not supported; send JSON text');
    if (data.length > this.limits.maxFrameBytes) {
      return this.fail('frame_too_large', `frame is over ${this.limits.maxFrameBytes} bytes`);
    }
    const wait = this.throttle();
    if (wait > 0) return this.fail('rate_limited', 'too many frames; slow down', { retryAfterMs: wait });
    const decoded = decodeClientFrame(data.toString('utf8'));
    if (!decoded.ok) return this.fail(decoded.code, decoded.message, decoded);
    try {
      await this.handle(decoded.frame);
    } catch (err) {
      if (err instanceof RefusedError) return this.refuse(err.refusal, decoded.frame);
      this.log.warn({ err, type: decoded.frame.type }, 'frame failed');
      const frame = decoded.frame;
      this.fail('unavailable', 'the chat backend is unavailable; try again (a send: with the same nonce)', {
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
        return this.join(frame.room, frame.since);
      case 'leave':
        if (!this.rooms.has(frame.room)) return this.fail('not_joined', `not in room ${frame.room}`, { room: frame.room });
        this.rooms.delete(frame.room);
        await this.node.leave(frame.room, this);
        return this.send({ type: 'left', room: frame.room });
      case 'send': {
        const { room, nonce } = frame;
        if (isGuest(this.principal)) return this.fail('guest_read_only', 'guests may join and read, not send; sign in to post', { room, nonce });
        const started = performance.now();
        if (!this.rooms.has(room)) return this.fail('not_joined', `join ${room} before sending to it`, { room, nonce });
        const problem = checkText(frame.text, this.limits.maxTextLength);
        if (problem) return this.fail('invalid_text', problem, { room, nonce });
        if (!isAdmin(this.principal)) {
          const term = await this.node.blockedTerm(room, frame.text);
          if (term !== undefined) return this.fail('blocked_term', `the message contains a blocked term (${term})`, { room, nonce });
        }
        const result = await this.node.send(room, this.principal, frame.text, nonce);
        if (result.refused) return this.refuse(result, frame);
        this.metrics.sendAck.observe((performance.now() - started) / 1000);
        return this.send({ type: 'ack', nonce, id: result.id, seq: result.seq });
      }
    }
  }

  private async join(room: string, since: number | undefined) {
    if (!this.rooms.has(room) && this.rooms.size >= this.limits.maxRooms) {
      return this.fail('too_many_rooms', `this socket is in ${this.rooms.size} rooms, the most allowed; leave one first`, { room });
    }
    if (this.rooms.has(room)) {
      // Joining twice is harmless: answer with the room's state again.
      this.rooms.delete(room);
      await this.node.leave(room, this);
    }
    const held: Message[] = [];
    const roomState: RoomState = { held, floor: 0 };
    this.rooms.set(room, roomState);
    let joined;
    try {
      joined = await this.node.join(room, this, since);
    } catch (err) {
      this.rooms.delete(room);
      throw err;
    }
    const { settings, ...state } = joined;
    this.metrics.joins.inc({ kind: since === undefined ? 'join' : 'resume' });
    this.send({ type: 'joined', room, ...state });
    this.send({ type: 'settings', room, ...settings });
    roomState.held = undefined;
    roomState.floor = joined.seq;
    for (const message of held) if (message.seq > joined.seq) this.send({ type: 'message', ...message });
  }

  /** ms until the next frame is allowed (0: allowed now, and counted). */
  private throttle(): number {
    const now = Date.now();
    const rate = this.limits.maxFramesPerSec;
    this.tokens = Math.min(rate * 2, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / rate);
  }

  private refuse(refusal: Refused, frame: ClientFrame) {
    // The account was deactivated and this node missed the event: close as the event would have.
    if (refusal.refused === 'deactivated') return this.end(closeCodes.accountDeactivated, 'account deactivated');
    const context = {
      ...('room' in frame ? { room: frame.room } : {}),
      ...('nonce' in frame ? { nonce: frame.nonce } : {}),
    };
    if (refusal.refused === 'banned') {
      const until = refusal.until === null ? 'for good' : `until ${new Date(refusal.until).toISOString()}`;
      this.fail('banned', `you are banned from this room ${until}: ${refusal.reason}`, { ...context, until: refusal.until });
    } else if (refusal.refused === 'slow_mode') {
      this.fail('slow_mode', `slow mode: you may post again in ${refusal.retryAfterMs} ms`, { ...context, retryAfterMs: refusal.retryAfterMs });
    } else {
      this.fail('rate_limited', `too many messages; retry in ${refusal.retryAfterMs} ms`, { ...context, retryAfterMs: refusal.retryAfterMs });
    }
  }

  private send(frame: ServerFrame) {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private fail(
    code: WsErrorCode,
    message: string,
    context: { nonce?: string; room?: string; until?: number | null; retryAfterMs?: number } = {},
  ) {
    countFrameError(this.metrics, code);
    const frame: ErrorFrame = { type: 'error', code, message };
    if (context.nonce !== undefined) frame.nonce = context.nonce;
    if (context.room !== undefined) frame.room = context.room;
    if (context.until !== undefined) frame.until = context.until;
    if (context.retryAfterMs !== undefined) frame.retryAfterMs = context.retryAfterMs;
    this.send(frame);
  }
}
