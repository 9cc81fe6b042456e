import { fileURLToPath } from 'node:url';
import { cpuMs, spawnNode, type Spawned } from '../proc.ts';
import type { Command, ConnectResult, PublishSchedule, Reply, Snapshot, WorkerPlan } from './protocol.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const REQUEST_TIMEOUT_MS = 60_000;
/** Opening tens of thousands of sockets, each with its own 30 s timeout, 100 at a time. */
const CONNECT_TIMEOUT_MS = 15 * 60_000;

/** One load-generator child process, driven by request/reply over IPC. */
class Worker {
  private readonly proc: Spawned;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Messages sent before the child listens would be lost: it says when it does. */
  private readonly ready: Promise<void>;

  constructor(maxLifetimeMs: number) {
    this.proc = spawnNode(WORKER, { BENCH_MAX_LIFETIME_MS: String(maxLifetimeMs) }, { ipc: true });
    let onReady = () => {};
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.proc.child.on('message', (reply: Reply | { ready: true }) => {
      if ('ready' in reply) return onReady();
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.result);
      else waiter?.reject(new Error(`load generator: ${reply.error}`));
    });
    // A send on a closed channel is reported here; the 'exit' handler rejects what is pending.
    this.proc.child.on('error', () => {});
    this.proc.child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`load generator exited (${code ?? signal})\n${this.proc.output()}`));
      }
      this.pending.clear();
    });
  }

  get pid() {
    return this.proc.pid;
  }

  /** Rejects if the worker has not answered within timeoutMs, so a stuck worker cannot hang the run. */
  async request<T>(command: Command, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load generator did not answer ${command.cmd} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    try {
      await Promise.race([this.ready, answer]);
      this.proc.child.send({ id, ...command });
      return await answer;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop() {
    if (this.proc.child.connected) {
      await this.request({ cmd: 'close' }, 3000).catch(() => {});
    }
    await this.proc.stop();
  }
}

/** The load generators of one run: worker 0 publishes, the others receive (sampling and counting). */
export class LoadGenPool {
  private readonly workers: Worker[];

  constructor(count: number, maxLifetimeMs: number) {
    this.workers = Array.from({ length: count }, () => new Worker(maxLifetimeMs));
  }

  get size() {
    return this.workers.length;
  }

  /** CPU ms used so far by each worker. */
  cpuMs(): number[] {
    return this.workers.map((w) => cpuMs(w.pid));
  }

  async connect(plans: WorkerPlan[]): Promise<ConnectResult> {
    const results = await Promise.all(plans.map((plan, i) => this.workers[i]!.request<ConnectResult>({ cmd: 'connect', plan }, CONNECT_TIMEOUT_MS)));
    return {
      connected: results.reduce((s, r) => s + r.connected, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      ...(results.find((r) => r.firstError) ? { firstError: results.find((r) => r.firstError)!.firstError! } : {}),
    };
  }

  async publish(schedule: PublishSchedule) {
    await Promise.all(this.workers.map((w) => w.request({ cmd: 'publish', schedule })));
  }

  snapshots(): Promise<Snapshot[]> {
    return Promise.all(this.workers.map((w) => w.request<Snapshot>({ cmd: 'snapshot' })));
  }

  async stop() {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
