import { ObjectId } from 'mongodb';
import type { AuditEntry, AuditLog, AuditQuery } from './audit-log.ts';

export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];

  async init() {}

  async record(entry: Omit<AuditEntry, 'id' | 'at'>) {
    const stored: AuditEntry = { id: new ObjectId().toHexString(), at: Date.now(), ...structuredClone(entry) };
    this.entries.push(stored);
    return structuredClone(stored);
  }

  async list(q: AuditQuery) {
    const out: AuditEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < q.limit; i--) {
      const e = this.entries[i]!;
      if (q.before !== undefined && e.id >= q.before) continue;
      if (q.room !== undefined && e.room !== q.room) continue;
      if ((q.actor && e.actor.id !== q.actor) || (q.target && e.target !== q.target) || (q.action && e.action !== q.action)) continue;
      out.push(structuredClone(e));
    }
    return out;
  }

  async get(id: string) {
    const found = this.entries.find((e) => e.id === id);
    return found && structuredClone(found);
  }
}
