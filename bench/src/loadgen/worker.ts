// A load-generator process: opens the sockets of its plan, publishes on command, and reports
// cumulative counters. Never runs inside a server process.
import type { ClientContext, PeerClient, Publisher } from './clients/client.ts';
import { chatorbitClient } from './clients/chatorbit.ts';
import { socketioClient } from './clients/socketio.ts';
import { PublishLoop } from './publish-loop.ts';
import type { Command, ConnectResult, Reply, Request, WorkerPlan } from './protocol.ts';
import { Stats } from './stats.ts';

let stats: Stats | undefined;
let loop: PublishLoop | undefined;
const closers: Array<() => void> = [];

/** Runs fn over items with at most `limit` in flight. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function connect(plan: WorkerPlan): Promise<ConnectResult> {
  stats = new Stats(plan.nodes.length);
  const ctx: ClientContext = {
    plan,
    stats,
    localAddress: (i) => (i >= 0 && plan.localAddresses.length > 0 ? plan.localAddresses[i % plan.localAddresses.length] : undefined),
  };
  const client: PeerClient = plan.peer === 'chatorbit' ? chatorbitClient(ctx) : socketioClient(ctx);
  let failed = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    failed++;
    firstError ??= err instanceof Error ? err.message : String(err);
  };
  const publishers: Publisher[] = [];
  await eachLimit(plan.publishers, plan.concurrency, async (spec) => {
    try {
      const p = await client.publisher(spec);
      publishers.push(p);
      closers.push(() => p.close());
    } catch (err) {
      fail(err);
    }
  });
  await eachLimit(plan.subscribers, plan.concurrency, async (spec, i) => {
    try {
      closers.push(await client.subscribe(spec, i));
    } catch (err) {
      fail(err);
    }
  });
  loop = new PublishLoop(publishers, stats, plan.textBytes);
  return { connected: closers.length, failed, ...(firstError ? { firstError } : {}) };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'connect':
      return connect(command.plan);
    case 'publish':
      loop?.start(command.schedule);
      return null;
    case 'snapshot':
      if (!stats) throw new Error('not connected');
      return stats.snapshot(loop?.active ?? false);
    case 'close':
      loop?.stop();
      for (const close of closers.splice(0)) close();
      setTimeout(() => process.exit(0), 100);
      return null;
  }
}

process.on('message', (request: Request) => {
  const reply = (r: Reply) => process.send!(r);
  handle(request).then(
    (result) => reply({ id: request.id, ok: true, result }),
    (err: unknown) => reply({ id: request.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
