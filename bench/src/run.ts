import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { PeerName } from './loadgen/protocol.ts';
import type { BenchOptions } from './options.ts';
import { chatorbitPeer } from './peers/chatorbit.ts';
import type { Peer } from './peers/peer.ts';
import { socketioPeer } from './peers/socketio.ts';
import { HARD_NOFILE } from './proc.ts';
import { combineRuns } from './repeat.ts';
import type { BenchReport, RunResult } from './results.ts';
import { scenarios } from './scenarios/index.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { connect, openSession, type Session } from './scenarios/session.ts';
import { connectionCount } from './scenarios/topology.ts';

const peers: Record<PeerName, Peer> = { chatorbit: chatorbitPeer, socketio: socketioPeer };

/** The version of the chat service benched: the commit of the checkout its main.ts is in, and how far it is from it. */
function chatVersion(main: string): BenchReport['chat'] {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dirname(main), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const top = git('rev-parse', '--show-toplevel');
    const dirty = git('status', '--porcelain', '--', join(top, 'services')).split('\n').filter(Boolean).length;
    return { main, commit: git('rev-parse', 'HEAD'), changedServiceFiles: dirty };
  } catch {
    return { main, commit: null, changedServiceFiles: null };
  }
}

async function runOne(scenario: Scenario, peer: Peer, options: BenchOptions, runId: string, log: (line: string) => void): Promise<RunResult> {
  const started = Date.now();
  const { topology, params, capped } = scenario.setup(options);
  const base = { scenario: scenario.name, peer: peer.name, label: peer.label, params, connections: 0, connectSeconds: 0 };
  log(`${scenario.name} × ${peer.label}: ${connectionCount(topology)} connections in ${topology.rooms.length} room(s)`);
  let session: Session | undefined;
  try {
    session = await openSession(peer, options, topology, runId);
    const up = (Date.now() - started) / 1000;
    const connected = await connect(session);
    log(`  servers up in ${up.toFixed(1)} s, sockets connected and joined in ${connected.seconds.toFixed(1)} s`);
    const part = await scenario.run(session, connected);
    if (part.idle && capped) part.idle.capped = capped;
    return { ...base, connections: connected.connected, connectSeconds: connected.seconds, ...part, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${error}`);
    return { ...base, error, seconds: (Date.now() - started) / 1000 };
  } finally {
    await session?.close();
  }
}

/** Every selected scenario against every selected peer, one after the other, each on fresh processes. */
export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const chat = chatVersion(options.chatMain);
  const runId = startedAt.replace(/\D/g, '').slice(0, 14);
  const started = Date.now();
  const all: RunResult[] = [];
  for (let rep = 0; rep < options.repeat; rep++) {
    if (options.repeat > 1) log(`--- run ${rep + 1} of ${options.repeat}`);
    // Alternating which peer goes first cancels what order does (a warmer page cache, leftovers).
    const order = rep % 2 === 0 ? options.peers : [...options.peers].reverse();
    for (const name of options.scenarios) {
      for (const peerName of order) all.push(await runOne(scenarios[name], peers[peerName], options, runId, log));
    }
  }
  const runs = options.scenarios.flatMap((scenario) =>
    options.peers.map((peer) => combineRuns(all.filter((r) => r.scenario === scenario && r.peer === peer))),
  );
  return {
    startedAt,
    seconds: (Date.now() - started) / 1000,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      nofile: HARD_NOFILE,
    },
    chat,
    options: { ...options, mongoUrl: options.mongoUrl ? '(set)' : undefined },
    runs,
  };
}
