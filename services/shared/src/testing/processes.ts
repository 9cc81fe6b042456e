import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './servers.ts';
import { waitFor } from './wait-for.ts';

export interface ServiceProcess {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote to stderr and stdout so far (for failure messages). */
  output(): string;
  /** Sends a signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs a service's main.ts as a real process (same Node binary as the tests) on a free port and
 * resolves once its /readyz answers 200.
 */
export async function spawnService(script: string, env: Record<string, string>, readyTimeoutMs = 20_000): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const url = `http://127.0.0.1:${port}`;
  // Ready, or exited (a bad config exits at once: no need to wait for the timeout).
  const died = exited.then((code) => {
    throw new Error(`${script} exited with ${code} before becoming ready`);
  });
  died.catch(() => {}); // it also settles when the process is stopped later, on purpose
  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, {
        timeoutMs: readyTimeoutMs,
        intervalMs: 50,
        message: `${script} to become ready`,
      }),
      died,
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- output of ${script} ---\n${output}`, { cause: err });
  }
  return {
    url,
    port,
    process: child,
    output: () => output,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * NODE_OPTIONS for a Node process a test starts (spawnService's env) that must exit by itself
 * once the test process is gone, even if it was SIGKILLed (see watchdog.ts).
 */
export const WATCHDOG_NODE_OPTIONS = `--import=${new URL('./watchdog.ts', import.meta.url).href}`;
