import type { PublisherSpec, SubscriberSpec, WorkerPlan } from '../protocol.ts';
import type { Stats } from '../stats.ts';

/** Sends messages to the rooms it joined; every message it gets back is counted too. */
export interface Publisher {
  readonly id: string;
  readonly rooms: readonly string[];
  /** Returns false when the message was not sent (socket gone or its send buffer over the cap). */
  send(room: string, text: string, nonce: string): boolean;
  close(): void;
}

export interface ClientContext {
  plan: WorkerPlan;
  stats: Stats;
  /** Source address for the i-th socket of this worker, if any. */
  localAddress(index: number): string | undefined;
}

/** One peer's wire protocol, as the load generator speaks it. */
export interface PeerClient {
  /** Connects and joins; resolves once the join is confirmed. Returns a closer. */
  subscribe(spec: SubscriberSpec, index: number): Promise<() => void>;
  publisher(spec: PublisherSpec): Promise<Publisher>;
}

/** Unsent bytes above which a publisher skips messages rather than queue without bound. */
export const MAX_PUBLISHER_BUFFER = 8 * 1024 * 1024;

export function wsBase(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** Rejects after ms, with a message naming what timed out. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
