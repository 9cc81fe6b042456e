import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';
import type { RedisKeys } from '@chatorbit/shared';
import type { LocalPresence, Member } from './local.ts';
import { byUserId, type PresenceStore, type RoomEntry, type RoomPresence } from './store.ts';

const ROOM_LUA = readFileSync(new URL('./lua/room.lua', import.meta.url), 'utf8');
const ROOMS_LUA = readFileSync(new URL('./lua/rooms.lua', import.meta.url), 'utf8');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    presenceRoom(
      nodesKey: string,
      nodePrefix: string, room: string, membersPrefix: string, memberListMax: number, withMembers: '0' | '1',
    ): Result<Array<number | string>, Context>;
    presenceRooms(
      nodesKey: string, viewersKey: string, usersKey: string, guestsKey: string,
      nodePrefix: string, ttlMs: number, mode: 'page' | 'viewers', ...args: Array<string | number>
    ): Result<Array<number | string | null>, Context>;
  }
}

export interface RedisPresenceOptions {
  redis: Redis;
  keys: RedisKeys;
  nodeId: string;
  heartbeatMs: number;
  memberListMax: number;
}

const kinds = ['viewers', 'users', 'guests'] as const;

/**
 * Presence in Redis. Every heartbeat each node replaces its three sorted sets room → viewers,
 * users, guests (expiring after three heartbeats, so a dead node's counts vanish by themselves)
 * and, for each room where it has at most memberListMax viewers, its hash of that room's members
 * (rewritten only when they changed; otherwise its expiry is pushed back). A room's presence is
 * a script over the set of node ids: O(nodes). The room list and the pushed counts read a
 * summary of every room, three ZUNIONSTOREs of the live nodes' sets, rebuilt by the first reader
 * after it expires (every half heartbeat at most).
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly nodeId: string;
  private readonly ttlMs: number;
  private readonly summaryTtlMs: number;
  private readonly memberListMax: number;
  /** Rooms whose member hash this node wrote (and must delete once the room is gone or too big). */
  private listed = new Set<string>();

  constructor(opts: RedisPresenceOptions) {
    this.redis = opts.redis;
    this.keys = opts.keys;
    this.nodeId = opts.nodeId;
    this.ttlMs = opts.heartbeatMs * 3;
    this.summaryTtlMs = Math.max(50, Math.floor(opts.heartbeatMs / 2));
    this.memberListMax = opts.memberListMax;
    if (!this.redis.presenceRoom) this.redis.defineCommand('presenceRoom', { numberOfKeys: 1, lua: ROOM_LUA });
    if (!this.redis.presenceRooms) this.redis.defineCommand('presenceRooms', { numberOfKeys: 4, lua: ROOMS_LUA });
  }

  /** One MULTI: this node's counts replaced, member hashes written or kept alive, its id in the set. */
  async publish(local: LocalPresence) {
    const { keys, nodeId } = this;
    const ttl = String(this.ttlMs);
    const changed = local.takeChanged();
    const counts = { viewers: [] as string[], users: [] as string[], guests: [] as string[] };
    const commands: string[][] = [['del', ...kinds.map((kind) => keys.presenceNode(nodeId, kind))]];
    /** Index of a PEXPIRE-only command → its room: 0 back means the hash was lost, so it is rewritten next time. */
    const kept = new Map<number, string>();
    const listed = new Set<string>();
    for (const [room, c] of local.rooms()) {
      for (const kind of kinds) counts[kind].push(String(c[kind]), room);
      if (c.viewers > this.memberListMax) continue;
      listed.add(room);
      const key = keys.presenceMembers(room, nodeId);
      if (changed.has(room) || !this.listed.has(room)) {
        const members = local.members(room).flatMap((m) => [m.userId, JSON.stringify({ name: m.name, guest: m.guest })]);
        commands.push(['del', key], ['hset', key, ...members], ['pexpire', key, ttl]);
      } else {
        kept.set(commands.length, room);
        commands.push(['pexpire', key, ttl]);
      }
    }
    for (const room of this.listed) if (!listed.has(room)) commands.push(['del', keys.presenceMembers(room, nodeId)]);
    if (counts.viewers.length > 0) {
      for (const kind of kinds) commands.push(['zadd', keys.presenceNode(nodeId, kind), ...counts[kind]], ['pexpire', keys.presenceNode(nodeId, kind), ttl]);
    }
    commands.push(['sadd', keys.presenceNodes, nodeId]);
    let results;
    try {
      results = await this.redis.multi(commands).exec();
    } catch (err) {
      local.restoreChanged(changed);
      throw err;
    }
    this.listed = listed;
    for (const [index, room] of kept) if (results?.[index]?.[1] === 0) local.restoreChanged([room]);
  }

  async room(room: string, withMembers: boolean): Promise<RoomPresence> {
    const { keys } = this;
    const [viewers, users, guests, listed, ...flat] = await this.redis.presenceRoom(
      keys.presenceNodes, keys.presenceNodePrefix, room, keys.presenceMembers(room, ''), this.memberListMax, withMembers ? '1' : '0',
    );
    const counts = { viewers: Number(viewers), users: Number(users), guests: Number(guests) };
    if (!withMembers || Number(listed) !== 1) return counts;
    const members: Member[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const { name, guest } = JSON.parse(String(flat[i + 1])) as { name: string; guest: boolean };
      members.push({ userId: String(flat[i]), name, guest });
    }
    return { ...counts, members: members.sort(byUserId) };
  }

  async rooms(offset: number, limit: number) {
    const [total, ...flat] = await this.summary('page', offset, limit);
    const rooms: RoomEntry[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      rooms.push({ room: String(flat[i]), viewers: Number(flat[i + 1]), users: Number(flat[i + 2]), guests: Number(flat[i + 3]) });
    }
    return { rooms, total: Number(total) };
  }

  async viewers(rooms: readonly string[]) {
    const viewers = new Map<string, number>();
    if (rooms.length === 0) return viewers;
    const scores = await this.summary('viewers', ...rooms);
    rooms.forEach((room, i) => {
      const score = scores[i];
      if (score !== null && score !== undefined) viewers.set(room, -Number(score));
    });
    return viewers;
  }

  async withdraw() {
    const { keys, nodeId } = this;
    const tx = this.redis.multi().srem(keys.presenceNodes, nodeId).del(...kinds.map((kind) => keys.presenceNode(nodeId, kind)));
    for (const room of this.listed) tx.del(keys.presenceMembers(room, nodeId));
    this.listed = new Set();
    await tx.exec();
  }

  private summary(mode: 'page' | 'viewers', ...args: Array<string | number>) {
    const { keys } = this;
    return this.redis.presenceRooms(
      keys.presenceNodes, keys.presenceRooms('viewers'), keys.presenceRooms('users'), keys.presenceRooms('guests'),
      keys.presenceNodePrefix, this.summaryTtlMs, mode, ...args,
    );
  }
}
