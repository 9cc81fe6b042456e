import type { PeerName, PublisherSpec, SubscriberSpec, WorkerPlan } from '../loadgen/protocol.ts';

/** Who is connected where: every room has the same members, so expected deliveries are exact. */
export interface Topology {
  rooms: string[];
  subscribersPerRoom: number;
  /** Publisher sockets, all on node 0; each joins its rooms (and gets their messages). */
  publishers: number;
  samplers: number;
}

export interface PlanSettings {
  peer: PeerName;
  nodes: string[];
  credentials: string[];
  workers: number;
  textBytes: number;
  /** First 127.0.0.x to use as a source address, if the connections need several. */
  firstSourceAddress: number;
}

/** Connections per source address before the next 127.0.0.x is used (ephemeral ports run out near 28k). */
const PER_SOURCE_ADDRESS = 20_000;
const SPREAD_ABOVE = 25_000;

/** Source addresses the topology's connections need (0: let the kernel pick, from 127.0.0.1). */
export function sourceAddressCount(t: Topology): number {
  const connections = connectionCount(t);
  return connections > SPREAD_ABOVE ? Math.ceil(connections / PER_SOURCE_ADDRESS) : 0;
}

export function roomNames(count: number, prefix = 'room'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

export function connectionCount(t: Topology): number {
  return t.rooms.length * t.subscribersPerRoom + t.publishers;
}

/** Members of each room, publishers included: the deliveries one message makes. */
export function membersPerRoom(t: Topology): number {
  const publishersPerRoom = t.publishers >= t.rooms.length ? t.publishers / t.rooms.length : t.publishers > 0 ? 1 : 0;
  return t.subscribersPerRoom + publishersPerRoom;
}

export function publisherSpecs(t: Topology, users: number): PublisherSpec[] {
  const R = t.rooms.length;
  const P = t.publishers;
  if (P > 0 && P % R !== 0 && R % P !== 0) throw new Error(`publishers (${P}) and rooms (${R}) must divide one another`);
  return Array.from({ length: P }, (_, p) => ({
    id: `pub${p}`,
    node: 0,
    rooms: P >= R ? [t.rooms[p % R]!] : t.rooms.filter((_, r) => r % P === p),
    user: p % users,
  }));
}

/**
 * Subscriber i joins room i mod R on node ⌊i / R⌋ mod N, so every room has members on every
 * node. Samplers are spread over nodes and rooms. Publishers get worker 0 to themselves, so
 * their send times are not delayed by receiving; subscribers go round-robin to the others.
 */
export function buildPlans(t: Topology, s: PlanSettings): WorkerPlan[] {
  const R = t.rooms.length;
  const N = s.nodes.length;
  const users = s.credentials.length;
  const subscribers: SubscriberSpec[] = [];
  const byRoomNode = new Map<string, number[]>();
  for (let i = 0; i < R * t.subscribersPerRoom; i++) {
    const room = i % R;
    const node = Math.floor(i / R) % N;
    subscribers.push({ node, room: t.rooms[room]!, sample: false, user: i % users });
    const key = `${room}/${node}`;
    const list = byRoomNode.get(key) ?? [];
    list.push(i);
    byRoomNode.set(key, list);
  }
  const samplers = Math.min(t.samplers, subscribers.length);
  const roomStep = Math.max(1, Math.floor(R / Math.max(1, Math.ceil(samplers / N))));
  for (let k = 0, chosen = 0; chosen < samplers && k < samplers * 4; k++) {
    const node = k % N;
    const room = (Math.floor(k / N) * roomStep) % R;
    const i = byRoomNode.get(`${room}/${node}`)?.pop();
    if (i === undefined) continue;
    subscribers[i]!.sample = true;
    chosen++;
  }

  const localAddresses = Array.from({ length: sourceAddressCount(t) }, (_, j) => `127.0.0.${s.firstSourceAddress + j}`);
  const plans: WorkerPlan[] = Array.from({ length: s.workers }, () => ({
    peer: s.peer,
    nodes: s.nodes,
    tokens: s.credentials,
    subscribers: [],
    publishers: [],
    localAddresses,
    concurrency: 100,
    textBytes: s.textBytes,
    connectTimeoutMs: 30_000,
  }));
  plans[0]!.publishers = publisherSpecs(t, users);
  const receivers = s.workers === 1 ? [plans[0]!] : plans.slice(1);
  let nextSampler = 0;
  let nextCounter = 0;
  for (const sub of subscribers) {
    const i = sub.sample ? nextSampler++ : nextCounter++;
    receivers[i % receivers.length]!.subscribers.push(sub);
  }
  return plans;
}
