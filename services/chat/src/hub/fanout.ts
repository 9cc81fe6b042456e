import * as ws from 'ws';
import type { Message } from '@chatorbit/shared';
import type { Hub } from './hub.ts';

export interface FanoutOptions {
  /** Batch window in ms; 0 sends every message at once. */
  windowMs: number;
  /** Messages per second above which a room is batched. */
  minRate: number;
  /** Called per frame written: the members it went to and the messages it carried. */
  onFrame?: (members: number, messages: number, carried: readonly Message[]) => void;
}

interface RoomState {
  windowStart: number;
  count: number;
  /** Messages per second over the last full second. */
  rate: number;
  queue: Message[];
  timer: NodeJS.Timeout | undefined;
}

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
// ws's own framing (the code its WebSocket#send uses); @types/ws does not declare it.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** A server→client text frame: unmasked, final, built once and written as is to every socket. */
export function frameText(json: string): Buffer {
  const parts = Sender.frame(Buffer.from(json), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * Turns a room's messages into frames for its local members: JSON-encoded and framed once per
 * message (or batch) on this node, whatever the number of members. While a room runs above
 * `minRate`, the messages of each window go out as one `batch` frame: one write per member per
 * window instead of one per message; below it, each message goes out at once.
 */
export class Fanout {
  private readonly hub: Hub;
  private readonly opts: FanoutOptions;
  private readonly rooms = new Map<string, RoomState>();

  constructor(hub: Hub, opts: FanoutOptions) {
    this.hub = hub;
    this.opts = opts;
  }

  push(room: string, message: Message) {
    const state = this.track(room);
    // Busy: the last second ran above the rate, or this second has already passed it.
    const busy = state.rate >= this.opts.minRate || state.count > this.opts.minRate;
    if (this.opts.windowMs === 0 || (!busy && state.queue.length === 0)) {
      this.emit(room, [message]);
      return;
    }
    state.queue.push(message);
    state.timer ??= setTimeout(() => this.flush(room), this.opts.windowMs);
  }

  /** The room's message rate as this node sees it (every node sees every message of its rooms). */
  rate(room: string): number {
    const state = this.rooms.get(room);
    return state ? Math.max(state.rate, state.count) : 0;
  }

  /** Forgets a room this node no longer has members in (pending messages go out first). */
  drop(room: string) {
    this.flush(room);
    this.rooms.delete(room);
  }

  close() {
    for (const room of [...this.rooms.keys()]) this.drop(room);
  }

  private track(room: string): RoomState {
    const now = Date.now();
    let state = this.rooms.get(room);
    if (!state) {
      state = { windowStart: now, count: 0, rate: 0, queue: [], timer: undefined };
      this.rooms.set(room, state);
    }
    const elapsed = now - state.windowStart;
    if (elapsed >= 1000) {
      // A quiet spell longer than a second reads as rate 0.
      state.rate = elapsed < 2000 ? (state.count * 1000) / elapsed : 0;
      state.count = 0;
      state.windowStart = now;
    }
    state.count++;
    return state;
  }

  private flush(room: string) {
    const state = this.rooms.get(room);
    if (!state || state.queue.length === 0) return;
    clearTimeout(state.timer);
    state.timer = undefined;
    const messages = state.queue;
    state.queue = [];
    this.emit(room, messages);
  }

  private emit(room: string, messages: Message[]) {
    const json = messages.length === 1
      ? JSON.stringify({ type: 'message', ...messages[0] })
      : JSON.stringify({ type: 'batch', room, messages });
    const members = this.hub.broadcast(room, messages, frameText(json));
    this.opts.onFrame?.(members, messages.length, messages);
  }
}
