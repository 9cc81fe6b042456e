import { usageError } from './errors.ts';

const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a human duration into seconds: `10m`, `1h30m`, `90s`, `2d`, or a bare number of
 * seconds. Fractions are allowed (`1.5h`); the result is rounded to whole seconds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const input = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input));
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(input); match; match = part.exec(input)) {
    total += Number(match[1]) * units[match[2]!]!;
    end = part.lastIndex;
  }
  if (input === '' || end !== input.length) {
    throw usageError(`invalid ${what} "${text}"`, 'write it like 30s, 10m, 1h30m or 2d (or a number of seconds)');
  }
  return Math.round(total);
}

/** Seconds as a short human duration: 45s, 9m59s, 2h5m, 3d4h. Two units at most, like kubectl. */
export function formatDuration(totalSec: number): string {
  const sec = Math.max(0, Math.round(totalSec));
  if (sec < 60) return `${sec}s`;
  const d = Math.floor(sec / 86_400);
  const h = Math.floor((sec % 86_400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  if (d > 0) return h > 0 ? `${d}d${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  return s > 0 ? `${m}m${s}s` : `${m}m`;
}

/** How long ago a time (ms since the epoch) was, like kubectl's AGE column: 5s, 3m, 2h4m. */
export function formatAge(atMs: number, now = Date.now()): string {
  return formatDuration((now - atMs) / 1000);
}
