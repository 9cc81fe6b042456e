import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { Compile } from 'typebox/compile';
import { Message, type RedisKeys } from '@chatorbit/shared';
import type { MessageLog } from './message-log.ts';

const messageCheck = Compile(Message);
/** Fields are null for an entry deleted from the stream while still pending. */
type StreamEntry = [id: string, fields: string[] | null];

export interface PersisterOptions {
  /** A connection of its own: XREADGROUP blocks it. */
  redis: Redis;
  keys: RedisKeys;
  log: MessageLog;
  /** This node's consumer name in the group. */
  consumer: string;
  logger: FastifyBaseLogger;
  batchSize?: number;
  blockMs?: number;
  /** Entries another consumer has held unacknowledged this long are taken over (XAUTOCLAIM). */
  claimIdleMs?: number;
  /** After a partial batch, wait this long before reading again (fewer, larger writes). */
  lingerMs?: number;
  /** After each batch written and acknowledged: its messages and how long it took. */
  onPersisted?: (count: number, seconds: number) => void;
  onFailure?: () => void;
}

/**
 * Moves accepted messages from the persistence stream into the durable log. Every chat node
 * runs one; together they form a consumer group, so each entry is written by one of them.
 *
 * An entry is acknowledged (and deleted from the stream) only after the log has it; a failed
 * write leaves the batch pending and it is retried, with backoff, until the log takes it: a
 * MongoDB outage stalls persistence, never chat, and loses nothing. Writes are idempotent
 * (the message id is the document id), so a batch retried after a partial write or taken over
 * from a dead node is stored once.
 */
export class Persister {
  private readonly opts: Required<Omit<PersisterOptions, 'onPersisted' | 'onFailure'>> & PersisterOptions;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(opts: PersisterOptions) {
    this.opts = { batchSize: 500, blockMs: 1000, claimIdleMs: 30_000, lingerMs: 50, ...opts };
  }

  async start() {
    const { redis, keys } = this.opts;
    try {
      // From id 0: entries queued before any persister ever ran are written too.
      await redis.xgroup('CREATE', keys.persistStream, keys.persistGroup, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw err;
    }
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in hand, then stops (within blockMs). Entries not yet read stay queued. */
  async stop() {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run() {
    const { claimIdleMs, logger } = this.opts;
    let pendingFirst = true; // own unacknowledged entries (a restart, a failed write) come first
    let nextClaim = 0;
    let failures = 0;
    while (this.running) {
      try {
        if (Date.now() >= nextClaim) {
          await this.claimAbandoned();
          nextClaim = Date.now() + claimIdleMs / 2;
        }
        const entries = await this.read(pendingFirst ? '0' : '>');
        if (pendingFirst && entries.length === 0) pendingFirst = false;
        await this.write(entries);
        failures = 0;
        // A partial batch: let the next one fill for a moment instead of paying a read, an
        // insert and an ack per handful of messages (the log trails chat by at most lingerMs more).
        if (entries.length > 0 && entries.length < this.opts.batchSize && this.opts.lingerMs > 0) await this.pause(this.opts.lingerMs);
      } catch (err) {
        if (!this.running) break;
        failures++;
        pendingFirst = true;
        this.opts.onFailure?.();
        const delay = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        logger.warn({ err, retryInMs: delay }, 'persisting messages failed; they stay queued');
        await this.pause(delay);
      }
    }
  }

  private async read(from: '0' | '>'): Promise<StreamEntry[]> {
    const { redis, keys, consumer, batchSize, blockMs } = this.opts;
    const block = from === '>' ? ['BLOCK', blockMs] : [];
    const result = (await redis.xreadgroup(
      'GROUP', keys.persistGroup, consumer, 'COUNT', batchSize, ...(block as ['BLOCK', number]),
      'STREAMS', keys.persistStream, from,
    )) as Array<[string, StreamEntry[]]> | null;
    return result?.[0]?.[1] ?? [];
  }

  /** Takes over entries that dead (or stuck) consumers read and never acknowledged. */
  private async claimAbandoned() {
    const { redis, keys, consumer, batchSize, claimIdleMs } = this.opts;
    let cursor = '0-0';
    do {
      const [next, entries] = (await redis.xautoclaim(
        keys.persistStream, keys.persistGroup, consumer, claimIdleMs, cursor, 'COUNT', batchSize,
      )) as [string, StreamEntry[]];
      await this.write(entries);
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  private async write(entries: StreamEntry[]) {
    if (entries.length === 0) return;
    const started = performance.now();
    const { redis, keys, log, logger } = this.opts;
    const messages: Message[] = [];
    for (const [id, fields] of entries) {
      if (fields === null) continue; // already written and deleted; only the acknowledgement was lost
      let value: unknown;
      try {
        value = JSON.parse(fields[1] ?? '');
      } catch {
        value = undefined;
      }
      if (messageCheck.Check(value)) messages.push(value);
      else logger.error({ entry: id }, 'dropping a persistence entry that is not a message');
    }
    await log.append(messages);
    const ids = entries.map(([id]) => id);
    await redis.multi().xack(keys.persistStream, keys.persistGroup, ...ids).xdel(keys.persistStream, ...ids).exec();
    this.opts.onPersisted?.(messages.length, (performance.now() - started) / 1000);
  }

  private pause(ms: number) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
