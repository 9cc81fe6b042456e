import { EventEmitter } from 'node:events';
import { MemoryDeactivations, type BusEvent, type Message } from '@chatorbit/shared';
import type { MessageLog } from '../history/message-log.ts';
import type { Broker, BusHandler, Draft, RangeQuery, SendResult } from './broker.ts';
import { selectRange } from '../history/range.ts';
import { MemoryModeration } from '../moderation/memory-moderation.ts';
import { CONTROL } from './memory-control.ts';
import { MemoryAuditLog } from '../moderation/memory-audit-log.ts';
import type { RateLimit } from '../moderation/moderation.ts';
import type { PresenceBoard } from '../presence/memory-store.ts';

export interface MemoryBusOptions {
  /** Where accepted messages are kept for good (the embedded engine has no persister). */
  log: MessageLog;
  recentSize?: number;
  nonceTtlMs?: number;
  configLimit?: RateLimit;
  /** The deactivations of this process (shared with its user service); default a new one. */
  deactivations?: MemoryDeactivations;
}

/**
 * What several in-process nodes share in the embedded engine: seqs, recent history, nonces and
 * the channels. One process has one bus; each node gets its own MemoryBroker on it.
 */
export class MemoryBus {
  readonly seqs = new Map<string, number>();
  readonly recent = new Map<string, Message[]>();
  readonly nonces = new Map<string, { id: string; seq: number; expires: number }>();
  readonly channels = new EventEmitter().setMaxListeners(0);
  readonly log: MessageLog;
  readonly recentSize: number;
  readonly nonceTtlMs: number;
  readonly moderation: MemoryModeration;
  /** The moderation audit log of the embedded engine (in a process, every node writes the same one). */
  readonly audit = new MemoryAuditLog();
  /** Every node's local presence, by node id. */
  readonly presence: PresenceBoard = new Map();
  /** Deactivated accounts; their `account` events go out on the control channel. */
  readonly deactivations: MemoryDeactivations;

  constructor(opts: MemoryBusOptions) {
    this.log = opts.log;
    this.recentSize = opts.recentSize ?? 1000;
    this.nonceTtlMs = opts.nonceTtlMs ?? 300_000;
    this.moderation = new MemoryModeration(opts.configLimit ?? { messages: 0, perSec: 1, exempt: [] });
    this.deactivations = opts.deactivations ?? new MemoryDeactivations();
    this.deactivations.onEvent((event) => this.channels.emit(CONTROL, event));
  }
}

export class MemoryBroker implements Broker {
  private readonly bus: MemoryBus;
  private readonly nodeId: string;
  private readonly listeners = new Map<string, (event: BusEvent) => void>();
  private handler: BusHandler = () => {};

  constructor(bus: MemoryBus, nodeId: string) {
    this.bus = bus;
    this.nodeId = nodeId;
    bus.channels.on(CONTROL, this.control);
  }

  private readonly control = (event: BusEvent) => this.handler(null, event);

  async send(draft: Draft): Promise<SendResult> {
    const { bus } = this;
    const nonceKey = JSON.stringify([draft.room, draft.user.id, draft.nonce]);
    const now = Date.now();
    const prior = bus.nonces.get(nonceKey);
    if (prior && prior.expires > now) return { id: prior.id, seq: prior.seq, duplicate: true };
    if (bus.deactivations.hasNow(draft.user.id)) return { refused: 'deactivated' };
    const refusal = bus.moderation.check(draft.room, draft.user.id, draft.privileged, now);
    if (refusal) return refusal;
    if (bus.nonces.size > 100_000) for (const [k, v] of bus.nonces) if (v.expires <= now) bus.nonces.delete(k);

    // Everything below runs without yielding: atomic, as the Redis script is.
    const seq = (bus.seqs.get(draft.room) ?? 0) + 1;
    bus.seqs.set(draft.room, seq);
    const message: Message = { seq, id: draft.id, room: draft.room, user: draft.user, text: draft.text, ts: draft.ts };
    let recent = bus.recent.get(draft.room);
    if (!recent) bus.recent.set(draft.room, (recent = []));
    recent.push(message);
    if (recent.length > bus.recentSize) recent.splice(0, recent.length - bus.recentSize);
    bus.nonces.set(nonceKey, { id: draft.id, seq, expires: now + bus.nonceTtlMs });
    const stored = bus.log.append([message]);
    // A structured clone stands in for the encode/decode of a real bus: no node can mutate what
    // another received.
    bus.channels.emit(draft.room, structuredClone({ v: 1, type: 'message', node: this.nodeId, ...(draft.traceparent ? { traceparent: draft.traceparent } : {}), message }));
    await stored;
    return { id: draft.id, seq, duplicate: false };
  }

  async lastSeq(room: string) {
    return this.bus.seqs.get(room) ?? 0;
  }

  async recent(room: string, query: RangeQuery) {
    return structuredClone(selectRange(this.bus.recent.get(room) ?? [], query));
  }

  async subscribe(room: string) {
    if (this.listeners.has(room)) return;
    const listener = (event: BusEvent) => this.handler(room, event);
    this.listeners.set(room, listener);
    this.bus.channels.on(room, listener);
  }

  async unsubscribe(room: string) {
    const listener = this.listeners.get(room);
    if (!listener) return;
    this.listeners.delete(room);
    this.bus.channels.off(room, listener);
  }

  onEvent(handler: BusHandler) {
    this.handler = handler;
  }

  async ping() {}

  async close() {
    for (const room of [...this.listeners.keys()]) await this.unsubscribe(room);
    this.bus.channels.off(CONTROL, this.control);
  }
}
