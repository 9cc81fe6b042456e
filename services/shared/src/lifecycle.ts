import type { FastifyBaseLogger } from 'fastify';
import { ConfigError } from './config.ts';

/** Set by tracing.ts: shuts the tracing SDK down (sending what it holds). */
export const flushTracing = Symbol.for('chatorbit.tracing.shutdown');

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits 0; exits 1 if it throws or takes longer
 * than timeoutMs (a hung dependency must not keep a terminating pod alive past its grace period).
 */
export function onShutdown(log: FastifyBaseLogger, timeoutMs: number, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      async () => {
        clearTimeout(timer);
        log.info('stopped');
        // Spans still buffered by the tracing SDK (tracing.ts), if it runs.
        await (globalThis as { [flushTracing]?: () => Promise<void> })[flushTracing]?.().catch(() => {});
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Runs a service's start-up; a ConfigError prints one line naming the variable and exits 1. */
export function main(start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  });
}
