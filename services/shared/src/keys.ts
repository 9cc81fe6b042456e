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
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
