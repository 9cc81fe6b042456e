// A throwaway Prometheus (Debian's `prometheus` package) on a free loopback port, for tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath, isExecutable, startWithRetry, type SpawnedServer } from './spawn.ts';

export interface ScrapeTarget {
  job: string;
  /** host:port serving /metrics. */
  address: string;
  /** Extra target labels (namespace, pod, …), as a ServiceMonitor would set them. */
  labels?: Record<string, string>;
}

export interface PrometheusServer extends SpawnedServer {
  /** An instant query through the HTTP API; throws when Prometheus answers an error. */
  query(expr: string): Promise<PromResult[]>;
}

export interface PromResult {
  metric: Record<string, string>;
  /** [unix seconds, value as a string] */
  value: [number, string];
}

/** The path of a Prometheus binary (`PROMETHEUS_BIN`/`PROMTOOL_BIN`, else the PATH); throws with how to install it. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const configured = process.env[name === 'prometheus' ? 'PROMETHEUS_BIN' : 'PROMTOOL_BIN'];
  const bin = configured || findOnPath(name);
  if (!bin || !isExecutable(bin)) throw new Error(`${name} not found: apt-get install prometheus (Debian's package brings prometheus and promtool)`);
  return bin;
}

/**
 * Starts Prometheus scraping `targets` every `scrapeIntervalSec` (default 1 s: rate() needs two
 * samples), with optional rule files; resolves once it is ready.
 */
export async function startPrometheus(opts: { targets: ScrapeTarget[]; ruleFiles?: string[]; scrapeIntervalSec?: number }): Promise<PrometheusServer> {
  const bin = prometheusBinary('prometheus');
  const interval = `${opts.scrapeIntervalSec ?? 1}s`;
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of opts.targets) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: [...jobs].map(([job, targets]) => ({
      job_name: job,
      static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
    })),
  };
  const server = await startWithRetry('prometheus', (port, dir) => {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
    return {
      bin,
      args: [
        `--config.file=${file}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      url: `http://127.0.0.1:${port}`,
      ready: async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.status === 200,
      timeoutMs: 30_000,
    };
  });
  return {
    ...server,
    query: async (expr) => {
      const res = await fetch(`${server.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromResult[] | [number, string] } };
      if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
      const { resultType, result } = body.data!;
      // A scalar (e.g. vector(1) folded) reads as one unlabelled sample.
      return resultType === 'scalar' ? [{ metric: {}, value: result as [number, string] }] : (result as PromResult[]);
    },
  };
}
