import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import type { FastifyBaseLogger } from 'fastify';
import {
  CompatPostFrame,
  closeCodes,
  isAdmin,
  isGuest,
  roomNameRe,
  toCompatMessage,
  type CompatErrorFrame,
  type Message,
  type Principal,
  type WsErrorCode,
} from '@chatorbit/shared';
import { RefusedError, type ChatNode, type Session } from '../node.ts';
import type { Refused } from '../broker/broker.ts';
import type { Subscriber } from '../hub/hub.ts';
import { countFrameError, type ChatMetrics } from '../metrics.ts';
import { checkText } from '../ws/decode.ts';

export interface CompatLimits {
  maxFrameBytes: number;
  maxTextLength: number;
  maxBufferedBytes: number;
  maxFramesPerSec: number;
  /** A client that has answered no ping (nor sent anything) for this long is dropped. */
  pongTimeoutMs: number;
}

const checkPost = Compile(CompatPostFrame);

/**
 * Compat frames of the messages of one fan-out frame, encoded once and shared by every /ws/chat
 * member of the room on this node (fan-out hands them all the same array).
 */
const encoded = new WeakMap<readonly Message[], string[]>();
function compatFrames(messages: readonly Message[]): string[] {
  let frames = encoded.get(messages);
  if (!frames) encoded.set(messages, (frames = messages.map((m) => JSON.stringify(toCompatMessage(m)))));
  return frames;
}

type Context = { until?: number | null; retryAfterMs?: number };

/**
 * One socket of the original frontend (GET /ws/chat): in one room at a time; a frame naming
 * another room moves it there, then posts. Joins and sends go through the same ChatNode as v1
 * sockets (bans, rate limits, slow mode, blocked terms apply), so both protocols share rooms.
 * Frames are handled one at a time, in arrival order.
 */
export class CompatConnection implements Subscriber, Session {
  readonly principal: Principal;
  private readonly socket: WebSocket;
  private readonly node: ChatNode;
  private readonly limits: CompatLimits;
  private readonly metrics: ChatMetrics;
  private readonly log: FastifyBaseLogger;
  /** The room this socket is a member of; undefined when its join was refused (or it was banned out). */
  private room: string | undefined;
  /** The room a join is in progress for, and its live messages that arrived meanwhile. */
  private joining: { room: string; held: Message[] } | undefined;
  /** Highest seq sent in `room`: a message is never sent twice. */
  private lastSeq = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly liveness: NodeJS.Timeout;
  private tokens: number;
  private refilledAt = Date.now();

  constructor(socket: WebSocket, principal: Principal, node: ChatNode, limits: CompatLimits, metrics: ChatMetrics, log: FastifyBaseLogger) {
    this.socket = socket;
    this.principal = principal;
    this.node = node;
    this.limits = limits;
    this.metrics = metrics;
    this.log = log;
    this.tokens = limits.maxFramesPerSec * 2;
    // Dropped when nothing (a pong or a frame) came for pongTimeoutMs; each sign of life restarts it.
    this.liveness = setTimeout(() => socket.terminate(), limits.pongTimeoutMs).unref();
    node.register(this);
    socket.on('message', (data, isBinary) => {
      this.liveness.refresh();
      const raw = data as Buffer;
      this.queue = this.queue.then(() => this.receive(raw, isBinary));
    });
    socket.on('pong', () => this.liveness.refresh());
  }

  /** Joins the connection's first room. A refusal is reported with an error frame; the socket stays open. */
  start(room: string): Promise<void> {
    this.queue = this.queue.then(() => this.run(room, () => this.move(room)));
    return this.queue;
  }

  /** Resolves when every frame received so far has been handled. */
  drained(): Promise<void> {
    return this.queue;
  }

  deliver(room: string, messages: readonly Message[]) {
    if (this.joining?.room === room) this.joining.held.push(...messages);
    else if (room === this.room) this.write(messages, compatFrames(messages));
  }

  /** Settings, deletions and the like have no frame in the original protocol. */
  notice() {}

  kick(room: string | null, until: number | null, reason: string) {
    if (this.room === undefined || (room !== null && room !== this.room)) return;
    const left = this.room;
    this.room = undefined;
    this.fail('banned', `you were banned from ${left} ${banEnd(until)}: ${reason}`, { until }, left);
    void this.node.leave(left, this).catch((err: unknown) => this.log.warn({ err }, 'leave after a ban failed'));
  }

  ping() {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Closes the socket with `code` (an admin deactivated the account: 4403); later frames are ignored. */
  end(code: number, reason: string) {
    this.closed = true;
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(code, reason);
  }

  /** Called once the socket has closed: waits for frames in flight, then leaves the room. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.liveness);
    this.node.unregister(this);
    await this.queue;
    const room = this.room;
    this.room = undefined;
    if (room !== undefined) await this.node.leave(room, this).catch(() => {});
  }

  private async receive(data: Buffer, isBinary: boolean) {
    if (this.closed) return;
    if (isBinary) return this.fail('invalid_frame', 'binary frames are not supported; send JSON text');
    if (data.length > this.limits.maxFrameBytes) return this.fail('frame_too_large', `frame is over ${this.limits.maxFrameBytes} bytes`);
    const wait = this.throttle();
    if (wait > 0) return this.fail('rate_limited', 'too many frames; slow down', { retryAfterMs: wait });
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch {
      return this.fail('invalid_json', 'frame is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail('invalid_frame', 'frame must be a JSON object {"room_id","content"}');
    }
    if (!checkPost.Check(value)) {
      const first = checkPost.Errors(value)[0];
      const where = first?.instancePath ? `${first.instancePath.slice(1)} ` : '';
      return this.fail('invalid_frame', `invalid frame: ${where}${first?.message ?? 'bad shape'}; expected {"room_id","content"}`);
    }
    const frame = value as CompatPostFrame;
    const room = frame.room_id || this.room;
    if (room === undefined) return this.fail('not_joined', 'this connection is in no room: name one in room_id');
    if (!roomNameRe.test(room)) return this.fail('invalid_room', 'room_id must match [A-Za-z0-9_-]{1,64}');
    const problem = checkText(frame.content, this.limits.maxTextLength);
    if (problem) return this.fail('invalid_text', problem.replace(/^text/, 'content'));
    await this.run(room, async () => {
      if (room !== this.room) await this.move(room);
      // A guest's frame still moves the socket (guests read), but posts nothing.
      if (isGuest(this.principal)) return this.fail('guest_read_only', 'guests may read, not post; sign in to post');
      if (!isAdmin(this.principal)) {
        const term = await this.node.blockedTerm(room, frame.content);
        if (term !== undefined) return this.fail('blocked_term', `the message contains a blocked term (${term})`);
      }
      // No nonce in this protocol: each frame is a new message.
      const result = await this.node.send(room, this.principal, frame.content, randomUUID());
      if (result.refused) this.refuse(result);
    });
  }

  /** Joins `room`, then leaves the current one; if the join is refused, the socket stays where it was. */
  private async move(room: string) {
    const joining = { room, held: [] as Message[] };
    this.joining = joining;
    try {
      await this.node.join(room, this);
    } finally {
      this.joining = undefined;
    }
    const previous = this.room;
    this.room = room;
    this.lastSeq = 0;
    // Messages that arrived while the join was in progress: live ones, sent now, in order.
    this.write(joining.held, joining.held.map((m) => JSON.stringify(toCompatMessage(m))));
    if (previous !== undefined) await this.node.leave(previous, this);
  }

  /**
   * Sends the frames of messages not sent yet. Past MAX_BUFFERED_BYTES unsent the client is a
   * slow consumer: closed with 4508, like a v1 socket.
   */
  private write(messages: readonly Message[], frames: readonly string[]) {
    for (let i = 0; i < messages.length; i++) {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      const seq = messages[i]!.seq;
      if (seq <= this.lastSeq) continue;
      this.lastSeq = seq;
      if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
        this.metrics.slowConsumers.inc();
        this.log.info({ buffered: this.socket.bufferedAmount }, 'closing a slow consumer');
        this.socket.close(closeCodes.slowConsumer, 'slow consumer');
        return;
      }
      this.socket.send(frames[i]!);
    }
  }

  /** Runs a join or send, turning refusals and backend failures into error frames. */
  private async run(room: string, action: () => Promise<void>) {
    try {
      await action();
    } catch (err) {
      if (err instanceof RefusedError) return this.refuse(err.refusal, room);
      this.log.warn({ err, room }, 'compat frame failed');
      this.fail('unavailable', 'the chat backend is unavailable; nothing was posted; try again');
    }
  }

  private refuse(refusal: Refused, room?: string) {
    // The account was deactivated and this node missed the event: close as the event would have.
    if (refusal.refused === 'deactivated') {
      this.end(closeCodes.accountDeactivated, 'account deactivated');
    } else if (refusal.refused === 'banned') {
      this.fail('banned', `you are banned from ${room ?? this.room} ${banEnd(refusal.until)}: ${refusal.reason}`, { until: refusal.until });
    } else if (refusal.refused === 'slow_mode') {
      this.fail('slow_mode', `slow mode: you may post again in ${refusal.retryAfterMs} ms`, { retryAfterMs: refusal.retryAfterMs });
    } else {
      this.fail('rate_limited', `too many messages; retry in ${refusal.retryAfterMs} ms`, { retryAfterMs: refusal.retryAfterMs });
    }
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

  private fail(code: WsErrorCode, message: string, context: Context = {}, room = this.room) {
    countFrameError(this.metrics, code);
    const frame: CompatErrorFrame = {
      error: message,
      code,
      room_id: room ?? '',
      user_id: this.principal.userId,
      timestamp: new Date().toISOString(),
    };
    if (context.until !== undefined) frame.until = context.until;
    if (context.retryAfterMs !== undefined) frame.retry_after_ms = context.retryAfterMs;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }
}

const banEnd = (until: number | null) => (until === null ? 'for good' : `until ${new Date(until).toISOString()}`);
