import { Histogram } from './histogram.ts';
import type { Snapshot } from './protocol.ts';
import { nowMs, readStamp } from './text.ts';

/** What one worker has seen; sockets report into it, the orchestrator reads snapshots. */
export class Stats {
  received = 0;
  frames = 0;
  sent = 0;
  acked = 0;
  sendErrors = 0;
  behind = 0;
  gaps = 0;
  reorders = 0;
  sampledBytes = 0;
  sampledFrames = 0;
  dropped = 0;
  readonly closeCodes: Record<string, number> = {};
  private readonly latency: Histogram[];
  private window = { from: Infinity, to: -Infinity };
  /** Last publisher counter seen, by sampling socket and publisher. */
  private readonly lastN = new Map<string, number>();
  /** Last server seq seen, by sampling socket (ChatOrbit). */
  private readonly lastSeq = new Map<number, number>();

  constructor(nodes: number) {
    this.latency = Array.from({ length: nodes }, () => new Histogram());
  }

  setWindow(from: number, to: number) {
    this.window = { from, to };
  }

  closed(code: number) {
    this.dropped++;
    this.closeCodes[code] = (this.closeCodes[code] ?? 0) + 1;
  }

  /** One message seen by a sampling socket (already counted in `received`). */
  sampled(socket: number, node: number, text: unknown, seq?: number) {
    const receivedAt = nowMs();
    if (seq !== undefined) {
      const last = this.lastSeq.get(socket);
      if (last !== undefined && seq <= last) this.reorders++;
      this.lastSeq.set(socket, seq);
    }
    const stamp = readStamp(text);
    if (!stamp) return;
    if (stamp.sentAt >= this.window.from && stamp.sentAt < this.window.to) {
      this.latency[node]!.recordMs(receivedAt - stamp.sentAt);
    }
    const key = `${socket}|${stamp.publisher}`;
    const last = this.lastN.get(key);
    if (last !== undefined) {
      if (stamp.n > last + 1) this.gaps += stamp.n - last - 1;
      else if (stamp.n <= last) this.reorders++;
    }
    this.lastN.set(key, stamp.n);
  }

  snapshot(publishing: boolean): Snapshot {
    return {
      at: Date.now(),
      publishing,
      received: this.received,
      frames: this.frames,
      sent: this.sent,
      acked: this.acked,
      sendErrors: this.sendErrors,
      behind: this.behind,
      latency: this.latency.map((h) => [...h.counts]),
      gaps: this.gaps,
      reorders: this.reorders,
      sampledBytes: this.sampledBytes,
      sampledFrames: this.sampledFrames,
      dropped: this.dropped,
      closeCodes: { ...this.closeCodes },
    };
  }
}
