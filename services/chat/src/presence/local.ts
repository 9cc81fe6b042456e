import { isGuest, type Principal } from '@chatorbit/shared';
import type { Subscriber } from '../hub/hub.ts';

/** A room's presence: open sockets, distinct signed-in users, distinct guests. */
export interface Counts {
  viewers: number;
  users: number;
  guests: number;
}

/** Someone in a room (however many sockets they have there). */
export interface Member {
  userId: string;
  name: string;
  guest: boolean;
}

/** Presence as one node sees it, read by the stores: rooms with local members only. */
export interface LocalView {
  counts(room: string): Counts | undefined;
  rooms(): IterableIterator<[string, Counts]>;
  members(room: string): Member[];
}

interface RoomMembers {
  counts: Counts;
  /** Every socket in the room, with its principal. */
  sockets: Map<Subscriber, Principal>;
  /** Distinct people: sockets per user id. */
  people: Map<string, { member: Member; sockets: number }>;
  /** Sockets that joined since the last presence frame went out. */
  fresh: Set<Subscriber>;
}

/**
 * Who is in which room on this node, counted as sockets come and go (O(1) per join or leave),
 * so a heartbeat reads counts without walking the members. Also delivers presence frames to the
 * room's local sockets.
 */
export class LocalPresence implements LocalView {
  private readonly byRoom = new Map<string, RoomMembers>();
  /** Rooms whose set of distinct people changed since takeChanged() was last called. */
  private changed = new Set<string>();

  join(room: string, subscriber: Subscriber, principal: Principal) {
    let state = this.byRoom.get(room);
    if (!state) this.byRoom.set(room, (state = { counts: { viewers: 0, users: 0, guests: 0 }, sockets: new Map(), people: new Map(), fresh: new Set() }));
    if (state.sockets.has(subscriber)) return;
    state.sockets.set(subscriber, principal);
    state.fresh.add(subscriber);
    state.counts.viewers++;
    const person = state.people.get(principal.userId);
    if (person) {
      person.sockets++;
      return;
    }
    const guest = isGuest(principal);
    state.people.set(principal.userId, { member: { userId: principal.userId, name: principal.name, guest }, sockets: 1 });
    state.counts[guest ? 'guests' : 'users']++;
    this.changed.add(room);
  }

  /** Takes the socket out of the room; nothing happens if it was not in it. */
  leave(room: string, subscriber: Subscriber) {
    const state = this.byRoom.get(room);
    const principal = state?.sockets.get(subscriber);
    if (!state || !principal) return;
    state.sockets.delete(subscriber);
    state.fresh.delete(subscriber);
    state.counts.viewers--;
    const person = state.people.get(principal.userId)!;
    if (--person.sockets === 0) {
      state.people.delete(principal.userId);
      state.counts[person.member.guest ? 'guests' : 'users']--;
      this.changed.add(room);
    }
    if (state.sockets.size === 0) this.byRoom.delete(room);
  }

  counts(room: string): Counts | undefined {
    const counts = this.byRoom.get(room)?.counts;
    return counts && { ...counts };
  }

  rooms(): IterableIterator<[string, Counts]> {
    return [...this.byRoom].map(([room, state]): [string, Counts] => [room, { ...state.counts }]).values();
  }

  members(room: string): Member[] {
    return [...(this.byRoom.get(room)?.people.values() ?? [])].map((p) => p.member);
  }

  /** The rooms whose distinct people changed since the last call (for stores that copy member lists). */
  takeChanged(): Set<string> {
    const changed = this.changed;
    this.changed = new Set();
    return changed;
  }

  /** Marks the rooms as changed again (a copy failed: it must be redone). */
  restoreChanged(rooms: Iterable<string>) {
    for (const room of rooms) this.changed.add(room);
  }

  /**
   * Sends `frame` to the room's local sockets (`everyone`), or only to those that joined since
   * the last call; either way, they are no longer fresh. Returns how many sockets it went to.
   */
  notify(room: string, frame: string, everyone: boolean): number {
    const state = this.byRoom.get(room);
    if (!state) return 0;
    const to = everyone ? state.sockets.keys() : state.fresh.values();
    let sent = 0;
    for (const subscriber of to) {
      subscriber.notice(room, frame);
      sent++;
    }
    state.fresh.clear();
    return sent;
  }
}
