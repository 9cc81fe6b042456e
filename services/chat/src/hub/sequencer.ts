import type { Message } from '@chatorbit/shared';

export interface SequencerOptions {
  /** The room's messages with afterSeq < seq < beforeSeq, oldest first (deleted ones flagged). */
  read(room: string, afterSeq: number, beforeSeq: number): Promise<Array<Message & { deleted?: boolean }>>;
  /** Hands one message on to fan-out, in seq order. */
  emit(room: string, message: Message, traceparent?: string): void;
  /** A hole was found: `missing` seqs, `filled` of them read back. */
  onGap?(room: string, missing: number, filled: number): void;
  onError?(room: string, err: unknown): void;
  /** The most messages read back for one hole; beyond, the rest of it stays a hole. */
  maxFill: number;
}

interface RoomSequence {
  /** The highest seq handed on. */
  last: number;
  /** Live messages waiting while a hole before them is read (undefined: none is being read). */
  held: Array<[Message, string | undefined]> | undefined;
}

/**
 * Keeps each room's live messages whole and in seq order. Redis pub/sub drops what is published
 * while a node's subscriber connection is down (a Sentinel failover, a reconnect), and the
 * node's sockets stay open, so their clients would never know: the next message shows the hole
 * (its seq is more than one past the last), the missing messages are read from the room's
 * history (Redis, then MongoDB) and handed on first, and live messages arriving meanwhile wait
 * behind them. A seq at or below the last one (handed out again after a failover lost writes)
 * is handed on as it comes.
 */
export class RoomSequencer {
  private readonly rooms = new Map<string, RoomSequence>();
  private readonly opts: SequencerOptions;

  constructor(opts: SequencerOptions) {
    this.opts = opts;
  }

  push(room: string, message: Message, traceparent?: string) {
    const state = this.rooms.get(room);
    if (!state) {
      // The room's first message here: nothing before it to compare with (a join reads its own history).
      this.rooms.set(room, { last: message.seq, held: undefined });
      this.opts.emit(room, message, traceparent);
      return;
    }
    if (state.held) {
      state.held.push([message, traceparent]);
    } else if (message.seq > state.last + 1) {
      state.held = [[message, traceparent]];
      void this.fill(room, state);
    } else {
      state.last = Math.max(state.last, message.seq);
      this.opts.emit(room, message, traceparent);
    }
  }

  /** Forgets the room (no local member left). */
  drop(room: string) {
    this.rooms.delete(room);
  }

  private async fill(room: string, state: RoomSequence) {
    const held = state.held!;
    while (held.length > 0) {
      if (this.rooms.get(room) !== state) return; // dropped meanwhile: nobody here to hand it to
      const [next, traceparent] = held[0]!;
      if (next.seq > state.last + 1) {
        const missing = next.seq - state.last - 1;
        let filled = 0;
        try {
          const from = Math.max(state.last, next.seq - 1 - this.opts.maxFill);
          const read = await this.opts.read(room, from, next.seq);
          if (this.rooms.get(room) !== state) return;
          for (const message of read) {
            if (message.seq <= state.last || message.seq >= next.seq) continue;
            filled++;
            state.last = message.seq;
            if (!message.deleted) {
              const { deleted: _, ...visible } = message;
              this.opts.emit(room, visible);
            }
          }
        } catch (err) {
          this.opts.onError?.(room, err);
        }
        this.opts.onGap?.(room, missing, filled);
      }
      held.shift();
      state.last = Math.max(state.last, next.seq);
      this.opts.emit(room, next, traceparent);
    }
    state.held = undefined;
  }
}
