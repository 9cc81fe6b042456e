// Messages between the orchestrator and its load-generator child processes (over fork's IPC).

export const peerNames = ['chatorbit', 'socketio'] as const;
export type PeerName = (typeof peerNames)[number];

export interface SubscriberSpec {
  /** Index into WorkerPlan.nodes. */
  node: number;
  room: string;
  /** Parses every frame: latency and continuity. Otherwise frames are only counted. */
  sample: boolean;
  /** Index into WorkerPlan.tokens (ChatOrbit). */
  user: number;
}

export interface PublisherSpec {
  id: string;
  node: number;
  rooms: string[];
  user: number;
}

export interface WorkerPlan {
  peer: PeerName;
  /** Base HTTP URLs of the server processes. */
  nodes: string[];
  /** Access tokens by user index (ChatOrbit); user names for Socket.IO. */
  tokens: string[];
  subscribers: SubscriberSpec[];
  publishers: PublisherSpec[];
  /** Source addresses cycled over the sockets (empty: let the kernel choose). */
  localAddresses: string[];
  /** Connections opened at once. */
  concurrency: number;
  textBytes: number;
  connectTimeoutMs: number;
}

/** Open-loop schedule: message k goes to room k mod R at startAt + k / totalRate. */
export interface PublishSchedule {
  totalRate: number;
  startAt: number;
  endAt: number;
  /** Only messages sent in [from, to) feed the latency histograms. */
  window: { from: number; to: number };
}

export type Command =
  | { cmd: 'connect'; plan: WorkerPlan }
  | { cmd: 'publish'; schedule: PublishSchedule }
  | { cmd: 'snapshot' }
  | { cmd: 'close' };

export interface ConnectResult {
  connected: number;
  failed: number;
  firstError?: string;
}

/** Cumulative counters of one worker since it connected. */
export interface Snapshot {
  at: number;
  /** The publish schedule still has messages to send. */
  publishing: boolean;
  /** Messages received by every socket (a batch counts each message it carries). */
  received: number;
  /** Frames those messages came in. */
  frames: number;
  sent: number;
  acked: number;
  /** Sends the server refused (error frames) or could not take (socket gone). */
  sendErrors: number;
  /** Messages due by the schedule but not sent because the publisher fell behind. */
  behind: number;
  /** Latency histograms by node of the receiving socket (bucket counts, see histogram.ts). */
  latency: number[][];
  /** Sampled messages whose publisher counter skipped ahead (lost messages). */
  gaps: number;
  /** Sampled messages whose publisher counter went back or repeated. */
  reorders: number;
  /** Bytes of sampled message frames, to report the average frame size. */
  sampledBytes: number;
  sampledFrames: number;
  /** Sockets closed by the other side after connecting. */
  dropped: number;
  closeCodes: Record<string, number>;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
export type Request = { id: number } & Command;
