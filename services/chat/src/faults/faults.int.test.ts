// The bounded part of `pnpm test:faults` that runs with every `pnpm test`: the same scenarios,
// small, on the suite's Redis and MongoDB, asserting correctness only (no figure is timed).
// Failover, MongoDB outages and a SIGKILLed node are covered by failover, persistence and
// resume.int.test.ts; the full runs with their figures are in docs/RELIABILITY.md.
import { randomBytes } from 'node:crypto';
import { expect, inject, it } from 'vitest';
import type { RunContext, ScenarioResult } from './scenario.ts';
import { rollingRestart } from './scenarios/rolling-restart.ts';
import { slowConsumer } from './scenarios/slow-consumer.ts';

const context = (): RunContext => ({ log: () => {}, runId: `${process.pid.toString(36)}${randomBytes(3).toString('hex')}` });
const stores = () => ({ redisUrl: inject('redisUrl'), mongoUrl: inject('mongoUrl') });

/** Every check held (the failing ones, with what was measured, in the message). */
function expectChecks(result: ScenarioResult) {
  const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}${c.detail ? ` [${c.detail}]` : ''}`);
  expect(failed, `${result.summary}\n${JSON.stringify(result.figures)}`).toEqual([]);
}

it('rolling restart: SIGTERM each of three chat nodes in turn under load, no gap, no duplicate, no client error', async () => {
  const result = await rollingRestart({ ...stores(), viewers: 30, rooms: 3, rate: 30, settleMs: 1_000 }, context());
  console.log(result.summary);
  expectChecks(result);
  expect(result.figures).toMatchObject({ viewerGaps: 0, viewerDuplicates: 0, lost: 0, storedTwice: 0, connectFailures: 0, node0Exit: 0, node1Exit: 0, node2Exit: 0 });
  // Every client of a stopping node was told to go elsewhere with 1001, nothing else.
  expect(result.figures.viewerCloses).toMatch(/^1001×\d+$/);
  expect(result.figures.resumes).toBeGreaterThanOrEqual(30);
}, 180_000);

it('slow consumer: closed with 4508, its node stops queueing for it, the other viewers do not notice', async () => {
  const result = await slowConsumer(
    // 64 KiB (the smallest allowed) and never reading: closed soon after the kernel buffers fill.
    { ...stores(), slow: 3, normal: 3, rate: 200, padChars: 400, warmupMs: 0, afterCloseMs: 1_000, maxBufferedBytes: 64 * 1024 },
    context(),
  );
  console.log(result.summary);
  expectChecks(result);
  expect(result.figures.slowCloses).toBe('4508×3');
  expect(result.figures).toMatchObject({ slowResumes: 3, normalGaps: 0, normalDuplicates: 0, normalCloses: 'none' });
}, 180_000);
