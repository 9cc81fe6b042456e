import type { LocalView } from './local.ts';
import { byUserId, byViewers, type Member, type PresenceStore, type RoomEntry, type RoomPresence } from './store.ts';

/** The nodes of one process (the embedded engine): node id → its local presence, read live. */
export type PresenceBoard = Map<string, LocalView>;

/**
 * Presence of the embedded engine: every node of the process registers its live LocalPresence
 * on the shared board, and reads sum over them. Nothing is copied, so nothing is stale.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly board: PresenceBoard;
  private readonly nodeId: string;
  private readonly memberListMax: number;

  constructor(board: PresenceBoard, nodeId: string, memberListMax: number) {
    this.board = board;
    this.nodeId = nodeId;
    this.memberListMax = memberListMax;
  }

  async publish(local: LocalView) {
    this.board.set(this.nodeId, local);
  }

  async room(room: string, withMembers: boolean): Promise<RoomPresence> {
    const total = { viewers: 0, users: 0, guests: 0 };
    for (const node of this.board.values()) {
      const counts = node.counts(room);
      if (!counts) continue;
      total.viewers += counts.viewers;
      total.users += counts.users;
      total.guests += counts.guests;
    }
    if (total.viewers > this.memberListMax) return total;
    // Small enough to list: count people once however many nodes they are on.
    const members = new Map<string, Member>();
    for (const node of this.board.values()) for (const member of node.members(room)) members.set(member.userId, member);
    const list = [...members.values()];
    const exact = { viewers: total.viewers, users: list.filter((m) => !m.guest).length, guests: list.filter((m) => m.guest).length };
    return withMembers ? { ...exact, members: list.sort(byUserId) } : exact;
  }

  async rooms(offset: number, limit: number) {
    const all = this.summary();
    return { rooms: all.slice(offset, offset + limit), total: all.length };
  }

  async viewers(rooms: readonly string[]) {
    const viewers = new Map<string, number>();
    for (const room of rooms) {
      let sum = 0;
      for (const node of this.board.values()) sum += node.counts(room)?.viewers ?? 0;
      if (sum > 0) viewers.set(room, sum);
    }
    return viewers;
  }

  async withdraw() {
    this.board.delete(this.nodeId);
  }

  private summary(): RoomEntry[] {
    const totals = new Map<string, RoomEntry>();
    for (const node of this.board.values()) {
      for (const [room, counts] of node.rooms()) {
        const entry = totals.get(room);
        if (!entry) totals.set(room, { room, ...counts });
        else {
          entry.viewers += counts.viewers;
          entry.users += counts.users;
          entry.guests += counts.guests;
        }
      }
    }
    return [...totals.values()].sort(byViewers);
  }
}
