// A load-generator process of the fault runner: opens viewer and publisher sockets to chat nodes,
// reconnects them elsewhere when a node goes away (resuming with `since`), and reports what they
// saw. Never runs in a server process. Exits when the runner goes away (its IPC channel closes).
import WebSocket from 'ws';
import type { Ack, Command, Counts, PublisherSpec, PublishersReport, Reply, Report, Request, ViewerSpec, ViewersReport } from './protocol.ts';

let urls: string[] = [];
let reconnectJitterMs = 500;
let closing = false;

const bump = (counts: Counts, key: string | number) => (counts[key] = (counts[key] ?? 0) + 1);

/**
 * After a close (or a failed attempt): wait, then connect to another node than `current`.
 * The first attempt waits a random 0..jitter ms (so a thousand sockets do not all come back in
 * the same millisecond), later ones back off exponentially up to 4 s.
 */
function reconnectPlan(current: number, attempt: number): { node: number; delayMs: number } {
  const others = urls.map((_, i) => i).filter((i) => i !== current || urls.length === 1);
  const node = others[Math.floor(Math.random() * others.length)]!;
  const delayMs = attempt === 0 ? Math.random() * reconnectJitterMs : Math.min(4000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return { node, delayMs };
}

/** Base of viewers and publishers: one socket at a time, reconnected until close(). */
abstract class Member {
  protected socket: WebSocket | undefined;
  protected node: number;
  protected readonly spec: ViewerSpec | PublisherSpec;
  /** The socket in hand has answered its join. */
  joined = false;
  private everJoined = false;
  private attempt = 0;
  private stopped = false;
  readonly closes: Counts = {};
  connectFailures = 0;

  constructor(spec: ViewerSpec | PublisherSpec) {
    this.spec = spec;
    this.node = spec.node;
  }

  /** Connects and joins; resolves once joined the first time (rejects if that attempt fails). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onFirstJoin = resolve;
      this.onFirstFailure = reject;
      this.connect();
    });
  }

  private onFirstJoin: (() => void) | undefined;
  private onFirstFailure: ((err: Error) => void) | undefined;

  protected connect() {
    const socket = new WebSocket(`${urls[this.node]}?token=${this.spec.token}`, { perMessageDeflate: false });
    this.socket = socket;
    let opened = false;
    socket.on('open', () => {
      opened = true;
      socket.send(JSON.stringify(this.joinFrame()));
    });
    socket.on('message', (data) => this.receive(data as Buffer));
    socket.on('error', () => {}); // reported by the close that follows
    socket.on('close', (code) => {
      const wasJoined = this.joined;
      this.joined = false;
      if (this.stopped) return;
      if (!opened || !wasJoined) {
        this.connectFailures++;
        if (!this.everJoined && this.onFirstFailure) return this.onFirstFailure(new Error(`could not join on ${urls[this.node]} (close ${code})`));
      } else {
        bump(this.closes, code);
      }
      const { node, delayMs } = reconnectPlan(this.node, wasJoined ? 0 : ++this.attempt);
      if (wasJoined) this.attempt = 0;
      this.node = node;
      setTimeout(() => !this.stopped && this.connect(), delayMs);
    });
  }

  protected abstract joinFrame(): Record<string, unknown>;
  protected abstract receive(data: Buffer): void;

  /** Called by subclasses when the socket's join was answered. */
  protected joinedNow() {
    this.joined = true;
    this.attempt = 0;
    if (!this.everJoined) {
      this.everJoined = true;
      this.onFirstJoin?.();
      this.onFirstJoin = this.onFirstFailure = undefined;
    }
  }

  get paused() {
    return this.socket?.isPaused ?? false;
  }

  reading(on: boolean) {
    if (on) this.socket?.resume();
    else this.socket?.pause();
  }

  close() {
    this.stopped = true;
    this.socket?.close();
  }

  /** Closes the socket on purpose and opens a new one, as a person leaving and coming back. */
  rejoin() {
    if (!this.joined || !this.socket) return false;
    const old = this.socket;
    old.removeAllListeners('close');
    old.removeAllListeners('message');
    this.joined = false;
    this.fresh();
    old.close();
    this.connect();
    return true;
  }

  /** Forget the previous socket's place (a new join rather than a resume). */
  protected fresh() {}
}

const IDS_KEPT = 64;

class Viewer extends Member {
  private last = 0;
  private started = false;
  /** Ids of the latest seqs, by seq % IDS_KEPT: tells a duplicate from a reused seq. */
  private readonly seqs = new Int32Array(IDS_KEPT).fill(-1);
  private readonly ids: string[] = new Array<string>(IDS_KEPT);
  received = 0;
  gaps = 0;
  duplicates = 0;
  seqReused = 0;
  unrecovered = 0;
  resumes = 0;
  lastResumeAt = 0;
  readonly errorFrames: Counts = {};

  get room() {
    return this.spec.room;
  }

  get lastSeq() {
    return this.last;
  }

  protected joinFrame() {
    return { type: 'join', room: this.spec.room, ...(this.started ? { since: this.last } : {}) };
  }

  protected override fresh() {
    this.started = false;
  }

  protected receive(data: Buffer) {
    const frame = JSON.parse(data.toString()) as {
      type: string;
      seq?: number;
      id?: string;
      code?: string;
      recovered?: boolean;
      history?: Array<{ seq: number; id: string }>;
      messages?: Array<{ seq: number; id: string }>;
    };
    switch (frame.type) {
      case 'message':
        return this.accept(frame.seq!, frame.id!);
      case 'batch':
        for (const m of frame.messages!) this.accept(m.seq, m.id);
        return;
      case 'joined':
        if (!this.started) {
          this.started = true;
          this.last = frame.seq!; // its history is what came before this viewer: not checked
        } else {
          this.resumes++;
          this.lastResumeAt = Date.now();
          if (frame.recovered === false) this.unrecovered++;
          for (const m of frame.history!) this.accept(m.seq, m.id);
        }
        return this.joinedNow();
      case 'error':
        bump(this.errorFrames, frame.code ?? 'unknown');
        return;
    }
  }

  private accept(seq: number, id: string) {
    this.received++;
    if (seq > this.last) {
      this.gaps += seq - this.last - 1;
      this.last = seq;
    } else {
      const slot = seq % IDS_KEPT;
      if (this.seqs[slot] === seq && this.ids[slot] !== id) this.seqReused++;
      else this.duplicates++;
    }
    const slot = seq % IDS_KEPT;
    this.seqs[slot] = seq;
    this.ids[slot] = id;
  }
}

const RESEND_AFTER_ERROR_MS = 200;
const RESEND_UNANSWERED_MS = 5_000;

class Publisher extends Member {
  private made = 0;
  private scheduleFrom = 0;
  private scheduleBase = 0;
  private publishing = false;
  /** nonce → [text, last sent at (0 = never)] */
  private readonly outstanding = new Map<string, [string, number]>();
  /** nonce → message id, for every acknowledged nonce. */
  private readonly ackedIds = new Map<string, string>();
  readonly acks: Ack[] = [];
  resends = 0;
  repeatedAcks = 0;
  conflictingAcks = 0;
  maxSeq = 0;
  readonly errorFrames: Counts = {};

  get pubSpec() {
    return this.spec as PublisherSpec;
  }

  get sent() {
    return this.made;
  }

  get pending() {
    return this.outstanding.size;
  }

  publish(on: boolean, now: number) {
    if (on && !this.publishing) {
      this.scheduleFrom = now;
      this.scheduleBase = this.made;
    }
    this.publishing = on;
  }

  /** Open loop: message k is due at k / rate, whatever the answers. */
  tick(now: number) {
    if (this.publishing) {
      const due = this.scheduleBase + Math.floor(((now - this.scheduleFrom) * this.pubSpec.rate) / 1000);
      while (this.made < due) {
        const nonce = `${this.pubSpec.name}-${this.made++}`;
        this.outstanding.set(nonce, [`${nonce} ${this.pubSpec.pad ?? ''}`.trimEnd(), 0]);
        this.transmit(nonce, now);
      }
    }
    for (const [nonce, [, at]] of this.outstanding) {
      if (at > 0 && now - at > RESEND_UNANSWERED_MS) this.transmit(nonce, now);
    }
  }

  private transmit(nonce: string, now: number) {
    const entry = this.outstanding.get(nonce);
    if (!entry || !this.joined || this.socket?.readyState !== WebSocket.OPEN) return; // sent once joined again
    if (entry[1] > 0) this.resends++;
    entry[1] = now;
    this.socket.send(JSON.stringify({ type: 'send', room: this.spec.room, text: entry[0], nonce }));
  }

  protected joinFrame() {
    return { type: 'join', room: this.spec.room };
  }

  protected receive(data: Buffer) {
    // Messages and batches of the room (this socket is a member too) are not looked at.
    if (data.length > 16 && (data.toString('latin1', 0, 16) === '{"type":"message' || data.toString('latin1', 0, 14) === '{"type":"batch')) return;
    const frame = JSON.parse(data.toString()) as { type: string; nonce?: string; id?: string; seq?: number; code?: string };
    const now = Date.now();
    if (frame.type === 'joined') {
      this.joinedNow();
      for (const nonce of this.outstanding.keys()) this.transmit(nonce, now); // what was in flight or made meanwhile
    } else if (frame.type === 'ack') {
      const nonce = frame.nonce!;
      const earlier = this.ackedIds.get(nonce);
      if (earlier !== undefined) {
        if (earlier === frame.id) this.repeatedAcks++;
        else this.conflictingAcks++;
        return;
      }
      this.outstanding.delete(nonce);
      this.ackedIds.set(nonce, frame.id!);
      this.acks.push([nonce, frame.id!, this.spec.room, frame.seq!, now]);
      this.maxSeq = Math.max(this.maxSeq, frame.seq!);
    } else if (frame.type === 'error') {
      bump(this.errorFrames, frame.code ?? 'unknown');
      const nonce = frame.nonce;
      if (nonce !== undefined && this.outstanding.has(nonce)) {
        setTimeout(() => this.transmit(nonce, Date.now()), RESEND_AFTER_ERROR_MS);
      }
    }
  }
}

const viewers: Viewer[] = [];
const publishers: Publisher[] = [];
let ticker: NodeJS.Timeout | undefined;
let churner: NodeJS.Timeout | undefined;
let churned = 0;

/** Runs fn over items with at most `limit` in flight. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function sumCounts(list: Counts[]): Counts {
  const out: Counts = {};
  for (const counts of list) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function report(withAcks: boolean): Report {
  const rooms: ViewersReport['rooms'] = {};
  for (const v of viewers) {
    const r = (rooms[v.room] ??= { minLast: v.lastSeq, maxLast: v.lastSeq });
    r.minLast = Math.min(r.minLast, v.lastSeq);
    r.maxLast = Math.max(r.maxLast, v.lastSeq);
  }
  const sum = (list: readonly Viewer[] | readonly Publisher[], f: (m: never) => number) => list.reduce((a, m) => a + f(m as never), 0);
  const pubRooms: PublishersReport['rooms'] = {};
  for (const p of publishers) {
    const r = (pubRooms[p.pubSpec.room] ??= { maxSeq: 0 });
    r.maxSeq = Math.max(r.maxSeq, p.maxSeq);
  }
  return {
    viewers: {
      total: viewers.length,
      joined: viewers.filter((v) => v.joined).length,
      received: sum(viewers, (v: Viewer) => v.received),
      gaps: sum(viewers, (v: Viewer) => v.gaps),
      duplicates: sum(viewers, (v: Viewer) => v.duplicates),
      seqReused: sum(viewers, (v: Viewer) => v.seqReused),
      unrecovered: sum(viewers, (v: Viewer) => v.unrecovered),
      errorFrames: sumCounts(viewers.map((v) => v.errorFrames)),
      closes: sumCounts(viewers.map((v) => v.closes)),
      connectFailures: sum(viewers, (v: Viewer) => v.connectFailures),
      resumes: sum(viewers, (v: Viewer) => v.resumes),
      lastResumeAt: Math.max(0, ...viewers.map((v) => v.lastResumeAt)),
      rooms,
      paused: viewers.filter((v) => v.paused).length,
      churned,
    },
    publishers: {
      total: publishers.length,
      joined: publishers.filter((p) => p.joined).length,
      sent: sum(publishers, (p: Publisher) => p.sent),
      acked: sum(publishers, (p: Publisher) => p.acks.length),
      outstanding: sum(publishers, (p: Publisher) => p.pending),
      resends: sum(publishers, (p: Publisher) => p.resends),
      repeatedAcks: sum(publishers, (p: Publisher) => p.repeatedAcks),
      conflictingAcks: sum(publishers, (p: Publisher) => p.conflictingAcks),
      errorFrames: sumCounts(publishers.map((p) => p.errorFrames)),
      closes: sumCounts(publishers.map((p) => p.closes)),
      connectFailures: sum(publishers, (p: Publisher) => p.connectFailures),
      rooms: pubRooms,
      ...(withAcks ? { acks: publishers.flatMap((p) => p.acks) } : {}),
    },
  };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'init':
      urls = command.urls;
      reconnectJitterMs = command.reconnectJitterMs ?? reconnectJitterMs;
      return null;
    case 'viewers': {
      const added = command.specs.map((spec) => new Viewer(spec));
      viewers.push(...added);
      await eachLimit(added, 50, (v) => v.start());
      return viewers.length;
    }
    case 'publishers': {
      const added = command.specs.map((spec) => new Publisher(spec));
      publishers.push(...added);
      await eachLimit(added, 50, (p) => p.start());
      ticker ??= setInterval(() => {
        const now = Date.now();
        for (const p of publishers) p.tick(now);
      }, 10);
      return publishers.length;
    }
    case 'publish': {
      const now = Date.now();
      for (const p of publishers) p.publish(command.on, now);
      return null;
    }
    case 'churn':
      clearInterval(churner);
      if (command.perSec > 0) {
        churner = setInterval(() => {
          for (let i = 0; i < command.perSec && viewers.length > 0; i++) {
            if (viewers[Math.floor(Math.random() * viewers.length)]!.rejoin()) churned++;
          }
        }, 1000);
      }
      return null;
    case 'reading':
      for (const i of command.viewers) viewers[i]?.reading(command.on);
      return null;
    case 'report':
      return report(command.acks ?? false);
    case 'close':
      closing = true;
      clearInterval(ticker);
      clearInterval(churner);
      for (const m of [...viewers, ...publishers]) m.close();
      return null;
  }
}

process.on('message', (request: Request) => {
  const { id, ...command } = request;
  handle(command as Command).then(
    (result) => process.send!({ id, ok: true, result } satisfies Reply),
    (err: unknown) => process.send!({ id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
  );
});
// The runner is gone (or done): nothing to report to any more.
process.on('disconnect', () => process.exit(closing ? 0 : 3));
process.send!({ ready: true });
