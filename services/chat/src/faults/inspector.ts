// Memory of a chat node measured from the outside after a full garbage collection, through the
// V8 inspector (the node runs with --inspect=127.0.0.1:0): what is still referenced, without the
// garbage that heapUsed counts between collections. A leak shows here, not in GC noise.
import WebSocket from 'ws';

/** NODE_OPTIONS flag: the inspector on a free loopback port (printed to stderr). */
export const INSPECT_FLAG = '--inspect=127.0.0.1:0';

export interface MemoryAfterGc {
  rssKb: number;
  heapUsedBytes: number;
  /** Memory of Buffers and other C++ objects tied to JS ones (socket write queues included). */
  externalBytes: number;
}

export class Inspector {
  private readonly socket: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: { result?: unknown; error?: { message: string } }) => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (reply.id !== undefined) {
        this.pending.get(reply.id)?.(reply);
        this.pending.delete(reply.id);
      }
    });
  }

  /** Connects to the inspector whose URL the process printed ("Debugger listening on ws://..."). */
  static async attach(output: string): Promise<Inspector> {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
    if (!url) throw new Error('the process printed no inspector URL (was it started with --inspect?)');
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  private call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`inspector: no answer to ${method}`));
      }, 30_000);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(`inspector: ${method}: ${reply.error.message}`));
        else resolve(reply.result as T);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Runs a full collection, then reads process.memoryUsage() in the process. */
  async memoryAfterGc(): Promise<MemoryAfterGc> {
    await this.call('HeapProfiler.collectGarbage');
    const { result } = await this.call<{ result: { value: string } }>('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse(result.value) as { rss: number; heapUsed: number; external: number };
    return { rssKb: Math.round(usage.rss / 1024), heapUsedBytes: usage.heapUsed, externalBytes: usage.external };
  }

  close() {
    this.socket.close();
  }
}
