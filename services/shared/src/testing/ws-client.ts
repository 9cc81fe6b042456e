import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A WebSocket test client: records every JSON frame and lets a test wait for the next one that
 * matches, or for the close, each with a timeout (never a fixed sleep).
 */
export class TestClient {
  readonly socket: WebSocket;
  readonly frames: Array<Record<string, unknown>> = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, { headers });
    this.socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Record<string, unknown>);
      this.wake();
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
  }

  static async connect(url: string, headers?: Record<string, string>): Promise<TestClient> {
    const client = new TestClient(url, headers);
    await client.opened;
    return client;
  }

  send(frame: unknown) {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a frame and waits for the first later frame matching `match`. */
  async request(frame: unknown, match: (f: Record<string, unknown>) => boolean, timeoutMs?: number) {
    const from = this.frames.length;
    this.send(frame);
    return this.next(match, timeoutMs, from);
  }

  /**
   * The next frame (after those already taken by earlier `next` calls, or from `from`) that
   * matches; frames skipped on the way stay available to `all()`.
   */
  async next(match: (f: Record<string, unknown>) => boolean = () => true, timeoutMs = 5_000, from?: number) {
    if (from !== undefined) this.cursor = from;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.cursor < this.frames.length; this.cursor++) {
        const frame = this.frames[this.cursor]!;
        if (match(frame)) {
          this.cursor++;
          return frame;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` frames matching `match` have arrived in all; returns them. */
  async collect(match: (f: Record<string, unknown>) => boolean, count: number, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`${found.length} of ${count} matching frames within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every frame received so far that matches. */
  all(match: (f: Record<string, unknown>) => boolean) {
    return this.frames.filter(match);
  }

  async waitClosed(timeoutMs = 5_000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }

  close() {
    this.socket.close();
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
