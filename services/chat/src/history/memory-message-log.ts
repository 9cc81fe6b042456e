import type { Message } from '@chatorbit/shared';
import type { RangeQuery } from '../broker/broker.ts';
import type { LoggedMessage, MessageLog } from './message-log.ts';
import { selectRange } from './range.ts';

/** The embedded engine's log: per room, sorted by seq; lost when the process exits. */
export class MemoryMessageLog implements MessageLog {
  private readonly rooms = new Map<string, LoggedMessage[]>();
  private readonly ids = new Set<string>();

  async init() {}

  async ping() {}

  async append(messages: readonly Message[]) {
    for (const message of messages) {
      if (this.ids.has(message.id)) continue;
      this.ids.add(message.id);
      let log = this.rooms.get(message.room);
      if (!log) this.rooms.set(message.room, (log = []));
      // Appends arrive in seq order almost always; a retried batch can bring an older one.
      let i = log.length;
      while (i > 0 && log[i - 1]!.seq > message.seq) i--;
      log.splice(i, 0, structuredClone(message));
    }
  }

  async prune(cutoff: Date) {
    let removed = 0;
    for (const [room, log] of this.rooms) {
      const keep = log.filter((m) => m.ts >= cutoff.getTime());
      removed += log.length - keep.length;
      for (const m of log) if (m.ts < cutoff.getTime()) this.ids.delete(m.id);
      if (keep.length > 0) this.rooms.set(room, keep);
      else this.rooms.delete(room);
    }
    return removed;
  }

  async find(room: string, id: string) {
    const found = this.rooms.get(room)?.find((m) => m.id === id);
    return found && structuredClone(found);
  }

  async markDeleted(room: string, what: { ids: readonly string[] } | { upTo: number }) {
    for (const m of this.rooms.get(room) ?? []) if ('ids' in what ? what.ids.includes(m.id) : m.seq <= what.upTo) m.deleted = true;
  }

  async page(room: string, query: RangeQuery) {
    return structuredClone(selectRange(this.rooms.get(room) ?? [], query));
  }
}
