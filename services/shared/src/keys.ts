/** The three counts presence keeps per room. */
export type PresenceKind = 'viewers' | 'users' | 'guests';

/**
 * Every Redis key and channel ChatOrbit uses, built in one place. A room's keys share the hash
 * slot of `{room}` so a script may touch all of them in Redis Cluster too.
 */
export function redisKeys(prefix = 'orbit') {
  const room = (name: string) => `${prefix}:room:{${name}}`;
  return {
    prefix,
    /** INCR counter: the room's last allocated message seq. */
    roomSeq: (name: string) => `${room(name)}:seq`,
    /** Pub/sub channel carrying the room's bus events to every node with members in it. */
    roomChannel: (name: string) => `${room(name)}:bus`,
    /** Stream of the room's latest messages (bounded), entry id `<seq>-0`, field `m` = message JSON. */
    roomRecent: (name: string) => `${room(name)}:recent`,
    /** The id and seq a (user, nonce) send got, kept for the idempotency window. */
    sendNonce: (name: string, userId: string, nonce: string) => `${room(name)}:nonce:${userId}:${nonce}`,
    /**
     * Stream of every accepted message on its way to MongoDB, read by the persisters as the
     * consumer group `persistGroup`. One stream for all rooms: this is why ChatOrbit runs on a
     * single Redis master (Sentinel), not Redis Cluster.
     */
    persistStream: `${prefix}:persist`,
    persistGroup: 'persisters',
    /** A user's ban from a room: JSON {until, reason, by, at}; a timeout expires with the key's TTL. */
    roomBan: (name: string, userId: string) => `${room(name)}:ban:${userId}`,
    /** Index of a room's bans (ids of users; entries whose key has expired are skipped and cleaned). */
    roomBans: (name: string) => `${room(name)}:bans`,
    /** A global ban: as roomBan, for every room. */
    globalBan: (userId: string) => `${prefix}:ban:${userId}`,
    globalBans: `${prefix}:bans`,
    /** The id of the room's owner (whoever created it). */
    roomOwner: (name: string) => `${room(name)}:owner`,
    /** Hash userId → owner | moderator | vip. */
    roomRoles: (name: string) => `${room(name)}:roles`,
    /** Hash {messages, perSec, exempt}: the room's rate limit, overriding the default. */
    roomRateLimit: (name: string) => `${room(name)}:ratelimit`,
    /** Hash {messages, perSec, exempt}: the default rate limit, overriding the configured one. */
    defaultRateLimit: `${prefix}:ratelimit`,
    /** Set of the ids of the room's deleted messages: hidden from history wherever they are kept. */
    roomDeleted: (name: string) => `${room(name)}:deleted`,
    /** The seq up to which the room was cleared: older messages are hidden from history. */
    roomCleared: (name: string) => `${room(name)}:cleared`,
    /** Hash of the settings of every room: {blockedTerms, blockedPatterns} (JSON arrays). */
    globalSettings: `${prefix}:settings`,
    /** Hash of the room's settings: {slowModeSec, blockedTerms, blockedPatterns}. */
    roomSettings: (name: string) => `${room(name)}:settings`,
    /** Set while a user must wait before the next message in slow mode; expires by itself. */
    slowMode: (name: string, userId: string) => `${room(name)}:slow:${userId}`,
    /** GCRA state of one user in one room: the theoretical arrival time, ms. */
    rateState: (name: string, userId: string) => `${room(name)}:rl:${userId}`,
    /** Pub/sub channel every node subscribes to: events about no single room (global bans). */
    controlChannel: `${prefix}:control`,
    /** Set of the ids of chat nodes that publish presence (ids whose counts have expired are removed). */
    presenceNodes: `${prefix}:presence:nodes`,
    /**
     * Sorted set room → count (`viewers`, `users` or `guests`) of one chat node, rewritten every
     * heartbeat and expiring after three. The presence scripts build these names from the ids in
     * presenceNodes as `presenceNodePrefix + nodeId + ':' + kind`.
     */
    presenceNode: (nodeId: string, kind: PresenceKind) => `${prefix}:presence:node:${nodeId}:${kind}`,
    presenceNodePrefix: `${prefix}:presence:node:`,
    /**
     * Hash userId → JSON {name, guest} of a room's members on one chat node, kept while that node
     * has at most PRESENCE_MEMBER_LIST_MAX of the room's viewers; expires with the node's counts.
     * The scripts build these names as `presenceMembers(room, '') + nodeId`.
     */
    presenceMembers: (name: string, nodeId: string) => `${room(name)}:members:${nodeId}`,
    /** Sorted set room → count summed over the live nodes (viewers negated: most first); a cache rebuilt every half heartbeat at most. */
    presenceRooms: (kind: PresenceKind) => `${prefix}:presence:rooms:${kind}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
