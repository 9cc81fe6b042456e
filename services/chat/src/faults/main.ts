// `pnpm test:faults`: runs the fault scenarios one after another, prints one table, writes JSON.
// Exit code 1 if a scenario failed a check or could not run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadAverage, machineTicks } from '@chatorbit/shared/testing';
import { parseOptions, USAGE, type FaultOptions } from './options.ts';
import { formatTable, writeJson, type FaultReport } from './report.ts';
import type { RunContext, ScenarioResult } from './scenario.ts';
import { failover } from './scenarios/failover.ts';
import { mongoDown } from './scenarios/mongo-down.ts';
import { nodeKill } from './scenarios/node-kill.ts';
import { rollingRestart } from './scenarios/rolling-restart.ts';
import { slowConsumer } from './scenarios/slow-consumer.ts';
import { soak } from './scenarios/soak.ts';

let options: FaultOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (!options) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const opts = options;

// Spawned servers are killed by the test helpers' 'exit' handlers: a signal must go through
// process.exit for them to run.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

type Plan = { id: (typeof opts.only)[number]; run: (ctx: RunContext) => Promise<ScenarioResult> };
const q = opts.quick;
const plan = ([
  ...[0, 1].map((replicaAcks): Plan => ({
    id: 'failover',
    run: (ctx) => failover({ replicaAcks, rate: opts.rate, phaseMs: q ? 3_000 : 5_000, viewers: q ? 10 : 40 }, ctx),
  })),
  ...(['freeze', 'kill'] as const).map((mode): Plan => ({
    id: 'mongo-down',
    run: (ctx) => mongoDown({ mode, rate: opts.rate, downMs: opts.mongoDownSeconds * 1000, viewers: q ? 10 : 40 }, ctx),
  })),
  { id: 'node-kill', run: (ctx) => nodeKill({ clients: opts.killClients, rooms: 10, rate: 100, phaseMs: q ? 3_000 : 5_000 }, ctx) },
  { id: 'rolling-restart', run: (ctx) => rollingRestart({ viewers: q ? 60 : 300, rooms: 3, rate: q ? 60 : 150, settleMs: q ? 1_500 : 3_000 }, ctx) },
  {
    id: 'slow-consumer',
    run: (ctx) => slowConsumer({ slow: q ? 5 : 20, normal: q ? 5 : 20, rate: q ? 200 : 500, padChars: 400, warmupMs: q ? 2_000 : 5_000, afterCloseMs: q ? 3_000 : 10_000 }, ctx),
  },
  {
    id: 'soak',
    run: (ctx) => soak({ minutes: opts.soakMinutes, viewers: q ? 50 : 200, rooms: 4, rate: q ? 20 : 50, churnPerSec: q ? 1 : 2, sampleEveryMs: q ? 5_000 : 10_000 }, ctx),
  },
] satisfies Plan[]).filter((p: Plan) => opts.only.includes(p.id));

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = new Date();
const stamp = started.toISOString().replace(/[:.]/g, '-');
const report: FaultReport = {
  command: `pnpm test:faults ${process.argv.slice(2).join(' ')}`.trim(),
  startedAt: started.toISOString(),
  finishedAt: '',
  commit: run('git', ['rev-parse', '--short', 'HEAD']),
  machine: {
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    load1AtStart: loadAverage(),
    node: process.version,
    redis: run('redis-server', ['--version'])?.match(/v=(\S+)/)?.[1],
  },
  results: [],
};

for (const step of plan) {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`; // short: REDIS_PREFIX has 32 characters
  const before = machineTicks();
  const load1 = loadAverage();
  const from = performance.now();
  log(`\n== ${step.id} ==`);
  let result: ScenarioResult;
  try {
    result = await step.run({ log, runId });
  } catch (err) {
    log(`${step.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    result = { id: step.id, title: step.id, setup: '', load: '', figures: {}, summary: '', checks: [], error: err instanceof Error ? err.message : String(err) };
  }
  const after = machineTicks();
  result.seconds = Math.round((performance.now() - from) / 1000);
  result.machine = { load1, boxCpuPct: Math.round((100 * (after.busy - before.busy)) / Math.max(1, after.total - before.total)) };
  report.results.push(result);
  log(`${result.title}: ${result.error ?? result.summary}`);
  for (const check of result.checks) log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail ? ` [${check.detail}]` : ''}`);
}
report.finishedAt = new Date().toISOString();

const out = opts.out ?? join('.tmp', 'faults', `${stamp}.json`);
writeJson(report, out);
process.stdout.write(`\n${formatTable(report.results)}\n\n${out}\n`);
process.exitCode = report.results.some((r) => r.error || r.checks.some((c) => !c.ok)) ? 1 : 0;

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
