import type { FastifyBaseLogger } from 'fastify';
import type { PresenceFrame } from '@chatorbit/shared';
import type { ChatMetrics } from '../metrics.ts';
import { LocalPresence } from './local.ts';
import type { PresenceStore } from './store.ts';

export interface PresenceServiceOptions {
  store: PresenceStore;
  heartbeatMs: number;
  intervalMs: number;
  metrics: ChatMetrics;
  logger: FastifyBaseLogger;
}

/**
 * This node's part in presence: counts its sockets per room (`local`, kept by the chat node on
 * join and leave), publishes them every heartbeat, and every interval tells each room's local
 * sockets the room's viewer count: all of them when it changed, otherwise only the sockets that
 * joined since (so a join never causes a frame of its own, and a burst of joins causes one).
 */
export class PresenceService {
  readonly local = new LocalPresence();
  readonly store: PresenceStore;
  private readonly opts: PresenceServiceOptions;
  /** The count last sent to each room's sockets. */
  private readonly sent = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Runs under way: stop() waits for them, so nothing is published after the withdrawal. */
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(opts: PresenceServiceOptions) {
    this.opts = opts;
    this.store = opts.store;
  }

  /** Publishes at once, then every heartbeat; pushes counts every interval. */
  async start() {
    await this.publish();
    this.every(this.opts.heartbeatMs, () => this.publish());
    this.every(this.opts.intervalMs, () => this.push());
  }

  /** Stops the timers and takes this node's presence out of the store. */
  async stop() {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled(this.running);
    await this.store.withdraw().catch((err: unknown) => this.opts.logger.warn({ err }, 'withdrawing presence failed'));
  }

  private async publish() {
    try {
      await this.store.publish(this.local);
    } catch (err) {
      this.opts.metrics.presenceFailures.inc();
      this.opts.logger.warn({ err }, 'publishing presence failed');
    }
  }

  /** One interval: the viewer count of every room with local sockets, to those sockets. */
  private async push() {
    const rooms = [...this.local.rooms()].map(([room]) => room);
    for (const room of this.sent.keys()) if (!this.local.counts(room)) this.sent.delete(room);
    if (rooms.length === 0) return;
    let viewers: Map<string, number>;
    try {
      viewers = await this.store.viewers(rooms);
    } catch (err) {
      this.opts.metrics.presenceFailures.inc();
      this.opts.logger.warn({ err }, 'reading presence failed');
      return;
    }
    for (const [room, count] of viewers) {
      const frame: PresenceFrame = { type: 'presence', room, viewers: count };
      const changed = this.sent.get(room) !== count;
      this.sent.set(room, count);
      this.opts.metrics.presenceFrames.inc(this.local.notify(room, JSON.stringify(frame), changed));
    }
  }

  /** Runs `task` every `ms`, the next run `ms` after the previous one has finished. */
  private every(ms: number, task: () => Promise<void>) {
    const schedule = () => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const run = task().catch((err: unknown) => this.opts.logger.warn({ err }, 'presence task failed')).finally(() => {
          this.running.delete(run);
          schedule();
        });
        this.running.add(run);
      }, ms).unref();
      this.timers.add(timer);
    };
    schedule();
  }
}
