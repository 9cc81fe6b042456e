export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** Pause between attempts in milliseconds (default 10). */
  intervalMs?: number;
  /** Describes what is being waited for; used in the timeout error. */
  message?: string;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Polls `fn` until it returns a truthy value without throwing, and resolves with that value.
 * Rejects after `timeoutMs` (even if an attempt hangs) with an error naming `message`
 * and the last error thrown by `fn`. This is the only place in the test helpers that sleeps.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 10;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    deadlineTimer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  let lastError: unknown;
  let attempts = 0;

  try {
    for (;;) {
      attempts++;
      try {
        const value = await Promise.race([Promise.resolve().then(fn), deadline]);
        if (value === TIMED_OUT) break;
        if (value) return value as NonNullable<T>;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      let sleepTimer: NodeJS.Timeout | undefined;
      const slept = await Promise.race([
        new Promise<void>((resolve) => (sleepTimer = setTimeout(resolve, intervalMs))),
        deadline,
      ]);
      clearTimeout(sleepTimer);
      if (slept === TIMED_OUT) break;
    }
  } finally {
    clearTimeout(deadlineTimer);
  }

  const what = opts.message ?? 'condition';
  const cause =
    lastError === undefined
      ? 'last attempt returned a falsy value or did not finish'
      : `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(`waitFor timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}; ${cause}`, {
    cause: lastError,
  });
}
