import type { Message } from '@chatorbit/shared';

/** A local socket's side of fan-out. */
export interface Subscriber {
  /**
   * One frame of the room's messages: `frame` is ready to write to the socket as it is (shared
   * by every member: never modify it); `messages` are what it carries, for a member that is
   * still joining and must hold them back.
   */
  deliver(room: string, messages: readonly Message[], frame: Buffer): void;
  /** A frame about the room that is not a message (its settings changed). */
  notice(room: string, frame: string): void;
}

/** The sockets of this node, by room. */
export class Hub {
  private readonly rooms = new Map<string, Set<Subscriber>>();

  /** Returns true when the subscriber is the room's first member on this node. */
  add(room: string, subscriber: Subscriber): boolean {
    let members = this.rooms.get(room);
    const first = !members;
    if (!members) this.rooms.set(room, (members = new Set()));
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

  broadcast(room: string, messages: readonly Message[], frame: Buffer): number {
    const members = this.rooms.get(room);
    if (!members) return 0;
    for (const member of members) member.deliver(room, messages, frame);
    return members.size;
  }

  /** Rooms with local members; memberships (for the metrics). */
  get roomCount() {
    return this.rooms.size;
  }

  memberCountOf(room: string) {
    return this.rooms.get(room)?.size ?? 0;
  }

  get memberCount() {
    let count = 0;
    for (const members of this.rooms.values()) count += members.size;
    return count;
  }

  notice(room: string, frame: string) {
    for (const member of this.rooms.get(room) ?? []) member.notice(room, frame);
  }

}
