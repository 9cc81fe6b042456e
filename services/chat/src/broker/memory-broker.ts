import { EventEmitter } from 'node:events';
import type { BusEvent } from '@chatorbit/shared';
import type { Broker, BusHandler } from './broker.ts';

/**
 * What several in-process nodes share in the embedded engine: the seq counters and the channels.
 * One process has one bus; each node gets its own MemoryBroker on it.
 */
export class MemoryBus {
  readonly seqs = new Map<string, number>();
  readonly channels = new EventEmitter().setMaxListeners(0);
}

export class MemoryBroker implements Broker {
  private readonly bus: MemoryBus;
  private readonly listeners = new Map<string, (event: BusEvent) => void>();
  private handler: BusHandler = () => {};

  constructor(bus = new MemoryBus()) {
    this.bus = bus;
  }

  async nextSeq(room: string) {
    const seq = (this.bus.seqs.get(room) ?? 0) + 1;
    this.bus.seqs.set(room, seq);
    return seq;
  }

  async lastSeq(room: string) {
    return this.bus.seqs.get(room) ?? 0;
  }

  async publish(room: string, event: BusEvent) {
    // A structured clone stands in for the encode/decode of a real bus: no node can mutate
    // what another received.
    this.bus.channels.emit(room, structuredClone(event));
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
  }
}
