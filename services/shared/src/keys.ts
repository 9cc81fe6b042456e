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
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
