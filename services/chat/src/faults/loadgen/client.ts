// The runner's side of a load-generator process: request/reply over IPC, with a timeout so a
// stuck generator cannot hang a run.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, PublisherSpec, Reply, Report, ViewerSpec } from './protocol.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const REQUEST_TIMEOUT_MS = 120_000;

export class LoadGenerator {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>;
  private output = '';

  constructor() {
    // execArgv: [] — not the parent's (under vitest those are its own loader flags).
    this.child = fork(WORKER, [], { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
    const collect = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    let onReady = () => {};
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.child.on('message', (reply: Reply | { ready: true }) => {
      if ('ready' in reply) return onReady();
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.result);
      else waiter?.reject(new Error(`load generator: ${reply.error}`));
    });
    this.child.on('error', () => {}); // a send on a closed channel; 'exit' rejects what is pending
    this.child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load generator exited (${code ?? signal})\n${this.output}`));
      this.pending.clear();
    });
  }

  get pid() {
    return this.child.pid!;
  }

  private async request<T>(command: Command, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
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
      this.child.send({ id, ...command });
      return await answer;
    } finally {
      clearTimeout(timer);
    }
  }

  init(urls: string[], reconnectJitterMs?: number) {
    return this.request({ cmd: 'init', urls, ...(reconnectJitterMs !== undefined ? { reconnectJitterMs } : {}) });
  }

  /** Opens the viewers (50 at a time) and resolves once every one has joined. */
  viewers(specs: ViewerSpec[]) {
    return this.request<number>({ cmd: 'viewers', specs });
  }

  publishers(specs: PublisherSpec[]) {
    return this.request<number>({ cmd: 'publishers', specs });
  }

  publish(on: boolean) {
    return this.request({ cmd: 'publish', on });
  }

  reading(viewers: number[], on: boolean) {
    return this.request({ cmd: 'reading', viewers, on });
  }

  churn(perSec: number) {
    return this.request({ cmd: 'churn', perSec });
  }

  report(acks = false) {
    return this.request<Report>({ cmd: 'report', acks });
  }

  /** Closes every socket, then the process. */
  async stop() {
    if (this.child.connected) await this.request({ cmd: 'close' }, 5_000).catch(() => {});
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.disconnect();
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(kill);
    }
  }
}
