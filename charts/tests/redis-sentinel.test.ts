// The chart's Redis Sentinel scripts (charts/chatorbit/files/redis), run as the pods run them but as
// real redis-server and redis-sentinel processes on loopback: each "member" is the pair of
// processes of one pod, on ports of its own, with its own temp dirs, and MEMBERS listing them all.
// What Kubernetes adds (stable DNS names, restarts) the test plays by hand: it kills processes and
// starts the scripts again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@chatorbit/shared/testing';
import { CHART, run, runOk, tools } from './lib/tools.ts';

const SCRIPTS = join(CHART, 'files/redis');
const HOST = '127.0.0.1';
const MASTER_NAME = 'mymaster';
// Spaces, quotes, a backslash and a dollar: the scripts must quote it in every config file.
const PASSWORD = 'pa ss"w\\rd$x';

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string>;
}

interface Member {
  index: number;
  redisPort: number;
  sentinelPort: number;
  dir: string;
  redis?: Proc;
  sentinel?: Proc;
}

const running = new Set<ChildProcess>();
const dirs: string[] = [];
// Should the test process end without afterEach (a crash, a timeout kill), take the servers along.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

afterEach(async () => {
  await Promise.all(
    [...running].map(async (child) => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('close', r));
    }),
  );
  running.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function group(size: number, overrides: Record<string, string> = {}) {
  const members: Member[] = [];
  for (let index = 0; index < size; index++) {
    const dir = mkdtempSync(join(tmpdir(), `chatorbit-sentinel-pod${index}-`));
    dirs.push(dir);
    members.push({ index, redisPort: await freePort(), sentinelPort: await freePort(), dir });
  }
  const membersEnv = members.map((m) => `${HOST}:${m.redisPort}:${m.sentinelPort}`).join(' ');
  const env = (m: Member): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    MASTER_NAME,
    SELF_HOST: HOST,
    REDIS_PORT: String(m.redisPort),
    SENTINEL_PORT: String(m.sentinelPort),
    MEMBERS: membersEnv,
    REDIS_PASSWORD: PASSWORD,
    REDIS_BIND: HOST,
    DATA_DIR: join(m.dir, 'data'),
    CONF_DIR: join(m.dir, 'conf'),
    SENTINEL_DIR: join(m.dir, 'sentinel'),
    QUORUM: String(Math.floor(size / 2) + 1),
    // Short enough for quick failovers, long enough not to see a busy test machine as a dead master.
    DOWN_AFTER_MS: '2000',
    FAILOVER_TIMEOUT_MS: '3000',
    BOOTSTRAP_TIMEOUT: '60',
    PRESTOP_TIMEOUT: '20',
    ...overrides,
  });
  const launch = (m: Member, script: string): Proc => {
    // Each start is a new container: its emptyDirs (conf, sentinel) survive, the process does not.
    mkdirSync(join(m.dir, 'data'), { recursive: true });
    const child = spawn('sh', [join(SCRIPTS, script)], { env: env(m), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | string>((resolve) =>
      child.once('close', (code, signal) => {
        running.delete(child);
        resolve(code ?? signal ?? 'unknown');
      }),
    );
    return { child, output: () => output, exited };
  };
  return {
    members,
    env,
    /** Starts the pod's two containers, as Kubernetes does: both at once. */
    start(m: Member) {
      m.redis = launch(m, 'start-redis.sh');
      m.sentinel = launch(m, 'start-sentinel.sh');
    },
    startRedis(m: Member) {
      m.redis = launch(m, 'start-redis.sh');
    },
    /** SIGKILLs the pod's processes (a crashed node), or only its redis-server. */
    async kill(m: Member, which: 'pod' | 'redis' = 'pod') {
      const procs = which === 'pod' ? [m.redis, m.sentinel] : [m.redis];
      for (const p of procs) p?.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p?.exited));
    },
    logs: () => members.map((m) => `--- pod ${m.index} redis ---\n${m.redis?.output() ?? ''}\n--- pod ${m.index} sentinel ---\n${m.sentinel?.output() ?? ''}`).join('\n'),
  };
}

/** One command on a short-lived connection; rejects when the server does not answer. */
async function cmd(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: HOST, port, password: PASSWORD, lazyConnect: true, enableReadyCheck: false, enableOfflineQueue: false,
    retryStrategy: null, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

const role = async (m: Member) => ((await cmd(m.redisPort, 'ROLE')) as unknown[]) as [string, ...unknown[]];
const sentinelMaster = async (m: Member) => {
  const reply = (await cmd(m.sentinelPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string] | null;
  return reply ? Number(reply[1]) : undefined;
};
const fields = (reply: unknown[]) => {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), String(reply[i + 1]));
  return map;
};

/** Every given sentinel names masterPort, knows the others, and sees the replicas healthy. */
async function settled(sentinels: Member[], master: Member, replicas: Member[]): Promise<boolean> {
  for (const s of sentinels) {
    if ((await sentinelMaster(s)) !== master.redisPort) return false;
    const info = fields((await cmd(s.sentinelPort, 'SENTINEL', 'MASTER', MASTER_NAME)) as unknown[]);
    if (info.get('flags') !== 'master' || Number(info.get('num-other-sentinels')) < sentinels.length - 1) return false;
    const seen = ((await cmd(s.sentinelPort, 'SENTINEL', 'REPLICAS', MASTER_NAME)) as unknown[][]).map(fields);
    for (const r of replicas) {
      const entry = seen.find((e) => Number(e.get('port')) === r.redisPort);
      if (entry?.get('flags') !== 'slave' || entry.get('master-link-status') !== 'ok') return false;
    }
  }
  for (const r of replicas) {
    const [kind, host, port, state] = await role(r);
    if (kind !== 'slave' || host !== HOST || Number(port) !== master.redisPort || state !== 'connected') return false;
  }
  return (await role(master))[0] === 'master';
}

function settle(g: Awaited<ReturnType<typeof group>>, sentinels: Member[], master: Member, replicas: Member[], what: string) {
  return waitFor(() => settled(sentinels, master, replicas), { timeoutMs: 40_000, intervalMs: 200, message: what }).catch((err: Error) => {
    throw new Error(`${err.message}\n${g.logs()}`, { cause: err });
  });
}

describe('Redis Sentinel bootstrap scripts', () => {
  it('pass shellcheck, like the MongoDB scripts; replset.js parses', async () => {
    const shellcheck = tools.onPath('shellcheck', 'shellcheck');
    const files = ['redis', 'mongodb'].flatMap((d) =>
      readdirSync(join(CHART, 'files', d)).filter((f) => f.endsWith('.sh')).map((f) => join(CHART, 'files', d, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(7);
    const result = await run(shellcheck, ['--shell=sh', '--external-sources', `--source-path=${SCRIPTS}`, ...files]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
    await runOk(process.execPath, ['--check', join(CHART, 'files/mongodb/replset.js')]);
  });

  it('form a group from scratch; a crashed master comes back as a replica of the new one; a new member finds the master', { timeout: 180_000 }, async () => {
    // Four pods, the fourth started later; a quorum of 2 lets the three first fail over alone.
    const g = await group(4, { QUORUM: '2' });
    const [m0, m1, m2, m3] = g.members as [Member, Member, Member, Member];
    // Pods 0-2 start at once (podManagementPolicy: Parallel); pod 3 is a later scale-out.
    for (const m of [m0, m1, m2]) g.start(m);
    await settle(g, [m0, m1, m2], m0, [m1, m2], 'the first member to be master with the two others as replicas, every sentinel agreeing');
    expect(m0.redis!.output()).toContain('starting as master (first member)');
    expect(m1.redis!.output()).toContain(`the sentinels name ${HOST}:${m0.redisPort} as master: starting as its replica`);
    await cmd(m0.redisPort, 'SET', 'before-failover', 'kept');

    // Pod 0 dies; the sentinels of pods 1 and 2 promote one of them.
    await g.kill(m0);
    const promoted = await waitFor(
      async () => {
        const [a, b] = await Promise.all([sentinelMaster(m1), sentinelMaster(m2)]);
        const winner = [m1, m2].find((m) => m.redisPort === a && a === b);
        return winner && (await role(winner))[0] === 'master' ? winner : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'a failover away from pod 0' },
    );
    const other = promoted === m1 ? m2 : m1;

    // Pod 0 restarts empty (no persistence). Although it is the first member, it must not start as
    // master: the sentinels name the new one, and it replicates from it.
    g.start(m0);
    await settle(g, [m0, m1, m2], promoted, [other, m0], 'the restarted pod 0 to rejoin as a replica of the new master');
    expect(m0.redis!.output()).toContain(`the sentinels name ${HOST}:${promoted.redisPort} as master: starting as its replica`);
    expect(await cmd(m0.redisPort, 'GET', 'before-failover')).toBe('kept');

    // A new pod (scale-out) finds the master through the sentinels, not by assuming the first member.
    g.start(m3);
    await settle(g, [m0, m1, m2, m3], promoted, [other, m0, m3], 'the new pod 3 to replicate from the current master');
    expect(await cmd(m3.redisPort, 'GET', 'before-failover')).toBe('kept');
  });

  it('a master restarted before the sentinels noticed waits for them to promote its replica, so no data is lost', { timeout: 180_000 }, async () => {
    const g = await group(3);
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    for (const m of g.members) g.start(m);
    await settle(g, g.members, m0, [m1, m2], 'the group to form');
    await cmd(m0.redisPort, 'SET', 'acknowledged', 'yes');
    await cmd(m0.redisPort, 'WAIT', 2, 5000);

    // Only redis-server dies, and its container restarts at once: the sentinels still name it.
    await g.kill(m0, 'redis');
    g.startRedis(m0);
    await waitFor(() => m0.redis!.output().includes('waiting for them to promote a replica'), {
      timeoutMs: 10_000, message: `pod 0 to wait for a failover\n${g.logs()}`,
    });
    const newMaster = await waitFor(
      async () => {
        const port = await sentinelMaster(m1);
        return [m1, m2].find((m) => m.redisPort === port);
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the sentinels to promote a replica' },
    );
    await settle(g, g.members, newMaster, [newMaster === m1 ? m2 : m1, m0], 'pod 0 to come back as a replica');
    // Had it started as an empty master, its replicas would have copied the empty data set.
    for (const m of g.members) expect(await cmd(m.redisPort, 'GET', 'acknowledged'), `pod ${m.index}`).toBe('yes');
  });

  it('preStop hands the master over to a replica before the pod stops', { timeout: 120_000 }, async () => {
    const g = await group(3);
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    for (const m of g.members) g.start(m);
    await settle(g, g.members, m0, [m1, m2], 'the group to form');

    // A replica's preStop does nothing.
    const replicaStop = await run('sh', [join(SCRIPTS, 'prestop.sh')], { env: g.env(m1) });
    expect(replicaStop.code).toBe(0);
    expect(await sentinelMaster(m0)).toBe(m0.redisPort);

    const stop = await run('sh', [join(SCRIPTS, 'prestop.sh')], { env: g.env(m0) });
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stderr).toContain('asked the sentinel on');
    // It returned only once another member was master: pod 0 may now stop without a gap.
    const port = await sentinelMaster(m1);
    expect([m1.redisPort, m2.redisPort]).toContain(port);
    const promoted = port === m1.redisPort ? m1 : m2;
    expect((await role(promoted))[0]).toBe('master');
    await settle(g, g.members, promoted, [m0, promoted === m1 ? m2 : m1], 'the old master to follow the new one');
  });

  it('a member that finds no master gives up after BOOTSTRAP_TIMEOUT, so that Kubernetes restarts it', async () => {
    const g = await group(3, { BOOTSTRAP_TIMEOUT: '2' });
    const m1 = g.members[1]!;
    g.startRedis(m1);
    expect(await m1.redis!.exited).toBe(1);
    expect(m1.redis!.output()).toMatch(/no master found after 2s \(waiting for the first member, 127\.0\.0\.1\); giving up/);
  });

  it('probes: redis-ready only for a master or a replica linked to it; sentinel-ready once it knows the master', { timeout: 120_000 }, async () => {
    // No failover here: the probes are looked at while the master is gone.
    const g = await group(3, { DOWN_AFTER_MS: '60000' });
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const probe = (m: Member, mode: string) => run('sh', [join(SCRIPTS, 'probe.sh'), mode], { env: g.env(m) });
    expect((await probe(m0, 'redis-live')).code).toBe(1);
    for (const m of g.members) g.start(m);
    await settle(g, g.members, m0, [m1, m2], 'the group to form');
    for (const m of g.members) {
      for (const mode of ['redis-live', 'redis-ready', 'sentinel-live', 'sentinel-ready']) {
        expect((await probe(m, mode)).code, `pod ${m.index} ${mode}`).toBe(0);
      }
    }
    // A replica whose master is gone is alive but not ready.
    await g.kill(m0);
    await waitFor(async () => (await probe(m1, 'redis-ready')).code === 1, { timeoutMs: 10_000, message: 'pod 1 to be unready without its master' });
    expect((await probe(m1, 'redis-live')).code).toBe(0);
    expect((await probe(m1, 'nonsense')).code).toBe(2);
  });
});
