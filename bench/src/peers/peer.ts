import type { PeerName } from '../loadgen/protocol.ts';

export interface PeerStartOptions {
  redisUrl: string;
  /** Server processes to start. */
  nodes: number;
  maxLifetimeMs: number;
  /** ChatOrbit only. */
  chat: { main: string; mongoUrl?: string; mongoDb: string; env: Record<string, string> };
}

export interface RunningPeer {
  /** Base HTTP URLs of the server processes, in node order. */
  urls: string[];
  pids: number[];
  /** What each load-generator user presents: access tokens (ChatOrbit) or names (Socket.IO). */
  credentials(users: number): Promise<string[]>;
  stop(): Promise<void>;
}

export interface Peer {
  name: PeerName;
  label: string;
  start(opts: PeerStartOptions): Promise<RunningPeer>;
}
