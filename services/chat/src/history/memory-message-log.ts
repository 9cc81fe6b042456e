import type { Message } from '@chatorbit/shared';
import type { MessageLog, PageQuery } from './message-log.ts';

/** The embedded engine's log: per room, sorted by seq; lost when the process exits. */
export class MemoryMessageLog implements MessageLog {
  private readonly rooms = new Map<string, Message[]>();
  private readonly ids = new Set<string>();

  async init() {}

  async ping() {}

  async append(message: Message) {
    if (this.ids.has(message.id)) return;
    this.ids.add(message.id);
    let log = this.rooms.get(message.room);
    if (!log) {
      log = [];
      this.rooms.set(message.room, log);
    }
    // Appends arrive in seq order almost always; concurrent sends on several nodes can swap two.
    let i = log.length;
    while (i > 0 && log[i - 1]!.seq > message.seq) i--;
    log.splice(i, 0, structuredClone(message));
  }

  async page(room: string, { before, limit }: PageQuery) {
    const log = this.rooms.get(room) ?? [];
    let end = log.length;
    if (before !== undefined) while (end > 0 && log[end - 1]!.seq >= before) end--;
    return log.slice(Math.max(0, end - limit), end).reverse().map((m) => structuredClone(m));
  }
}
