// The fault runner's command line.
import { parseArgs } from 'node:util';

export const SCENARIOS = ['failover', 'mongo-down', 'node-kill', 'rolling-restart', 'slow-consumer', 'soak'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface FaultOptions {
  quick: boolean;
  only: ScenarioId[];
  /** Messages per second of the failover and MongoDB scenarios. */
  rate: number;
  mongoDownSeconds: number;
  /** Clients on the chat node that is SIGKILLed. */
  killClients: number;
  soakMinutes: number;
  /** Where the JSON goes (default .tmp/faults/<timestamp>.json). */
  out: string | undefined;
}

export const USAGE = `pnpm test:faults [options]

Runs fault scenarios against real redis-server, redis-sentinel, FerretDB and chat node processes
on loopback, with clients in separate load-generator processes; prints one table, writes JSON.

  --quick                 every scenario at a small size and short (about 5 minutes; soak 1 minute)
  --only <ids>            comma-separated: ${SCENARIOS.join(', ')}
  --rate <n>              msg/s of the failover and MongoDB scenarios (default 500)
  --mongo-down-seconds <n>  how long MongoDB is down (default 60)
  --kill-clients <n>      clients on the chat node that is SIGKILLed (default 1000)
  --soak-minutes <n>      soak length (default 30)
  --out <file>            JSON report (default .tmp/faults/<timestamp>.json)
  --help`;

export function parseOptions(argv: string[]): FaultOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rate: { type: 'string' },
      'mongo-down-seconds': { type: 'string' },
      'kill-clients': { type: 'string' },
      'soak-minutes': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const number = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got ${value})`);
    return n;
  };
  const only = (values.only ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of only) if (!(SCENARIOS as readonly string[]).includes(id)) throw new Error(`--only: unknown scenario ${id} (one of ${SCENARIOS.join(', ')})`);
  const quick = values.quick ?? false;
  return {
    quick,
    only: only as ScenarioId[],
    rate: number('rate', values.rate, 500, 1, 5_000),
    mongoDownSeconds: number('mongo-down-seconds', values['mongo-down-seconds'], quick ? 10 : 60, 1, 3_600),
    killClients: number('kill-clients', values['kill-clients'], quick ? 200 : 1000, 1, 10_000),
    soakMinutes: number('soak-minutes', values['soak-minutes'], quick ? 1 : 30, 0.1, 24 * 60),
    out: values.out,
  };
}
