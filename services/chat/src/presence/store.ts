import type { Counts, LocalPresence, Member } from './local.ts';

export type { Counts, Member } from './local.ts';

/** A room's presence over every node; `members` only for rooms of at most the member-list size. */
export interface RoomPresence extends Counts {
  /** Every member, each once (ordered by user id); undefined: the room has more viewers than the list allows. */
  members?: Member[];
}

export interface RoomEntry extends Counts {
  room: string;
}

/**
 * Presence shared by the chat nodes of one engine.
 *
 * Contract:
 * - publish(local) makes this node's local presence visible to every node; called once at start
 *   and then every heartbeat. The Redis store copies it (a node's counts expire after three
 *   heartbeats without a publish: a dead node drops out by itself); the memory store keeps a
 *   reference, so what it serves is always current;
 * - room() costs O(nodes) whatever the number of viewers (plus O(members) for a room small enough
 *   to list); `users` and `guests` are exact for such rooms, and for bigger ones the sum of each
 *   node's distinct count (someone with sockets on two nodes counts twice);
 * - rooms() and viewers() read a summary rebuilt at most once per half heartbeat, so they may
 *   trail room() by that much;
 * - withdraw() removes this node's presence at once (a graceful shutdown).
 */
export interface PresenceStore {
  publish(local: LocalPresence): Promise<void>;
  room(room: string, withMembers: boolean): Promise<RoomPresence>;
  /** Active rooms, most viewers first: the page at `offset`, and how many rooms there are in all. */
  rooms(offset: number, limit: number): Promise<{ rooms: RoomEntry[]; total: number }>;
  /** Viewers of each room asked for (rooms unknown to the summary are left out). */
  viewers(rooms: readonly string[]): Promise<Map<string, number>>;
  withdraw(): Promise<void>;
}

/** Most viewers first; rooms with as many, by name. */
export const byViewers = (a: RoomEntry, b: RoomEntry) => b.viewers - a.viewers || (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);

/** Members in user-id order: the order pages follow. */
export const byUserId = (a: Member, b: Member) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
