/** A local socket's side of fan-out: gets a room's frames, already encoded. */
export interface Subscriber {
  deliver(room: string, seq: number, frame: string): void;
}

/**
 * The sockets of this node, by room. Frames are encoded once per message per node and the same
 * string is handed to every member (never once per recipient).
 */
export class Hub {
  private readonly rooms = new Map<string, Set<Subscriber>>();

  /** Returns true when the subscriber is the room's first member on this node. */
  add(room: string, subscriber: Subscriber): boolean {
    let members = this.rooms.get(room);
    const first = !members;
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(subscriber);
    return first;
  }

  /** Returns true when the room has no member left on this node. */
  remove(room: string, subscriber: Subscriber): boolean {
    const members = this.rooms.get(room);
    if (!members?.delete(subscriber)) return false;
    if (members.size > 0) return false;
    this.rooms.delete(room);
    return true;
  }

  has(room: string, subscriber: Subscriber): boolean {
    return this.rooms.get(room)?.has(subscriber) ?? false;
  }

  broadcast(room: string, seq: number, frame: string): number {
    const members = this.rooms.get(room);
    if (!members) return 0;
    for (const member of members) member.deliver(room, seq, frame);
    return members.size;
  }

  size(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  get roomCount(): number {
    return this.rooms.size;
  }
}
