/**
 * Latency histogram in microseconds, mergeable by adding bucket counts: 10 µs buckets below
 * 1 ms, then buckets 2 % wide up to about a minute. 2 % is finer than run-to-run noise on a
 * shared machine; a fixed layout lets workers ship plain arrays.
 */
const LINEAR_US = 1000;
const LINEAR_STEP_US = 10;
const LINEAR_BUCKETS = LINEAR_US / LINEAR_STEP_US;
const GROWTH = 1.02;
const LOG_BUCKETS = Math.ceil(Math.log(60_000_000 / LINEAR_US) / Math.log(GROWTH));
export const BUCKETS = LINEAR_BUCKETS + LOG_BUCKETS + 1;

export function bucketOf(us: number): number {
  if (us < LINEAR_US) return Math.max(0, Math.floor(us / LINEAR_STEP_US));
  return Math.min(BUCKETS - 1, LINEAR_BUCKETS + Math.floor(Math.log(us / LINEAR_US) / Math.log(GROWTH)));
}

/** The middle of a bucket, in microseconds. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR_BUCKETS) return (bucket + 0.5) * LINEAR_STEP_US;
  const low = LINEAR_US * GROWTH ** (bucket - LINEAR_BUCKETS);
  return low * (1 + GROWTH) / 2;
}

export class Histogram {
  readonly counts: number[];
  total = 0;

  constructor(counts?: number[]) {
    this.counts = counts ? [...counts] : new Array<number>(BUCKETS).fill(0);
    for (const c of this.counts) this.total += c;
  }

  recordMs(ms: number) {
    this.counts[bucketOf(Math.max(0, ms) * 1000)]!++;
    this.total++;
  }

  add(other: Histogram) {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  /** The q-quantile (0..1) in milliseconds, or undefined without samples. */
  quantileMs(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return valueOf(i) / 1000;
    }
    return valueOf(BUCKETS - 1) / 1000;
  }
}
