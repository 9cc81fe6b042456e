/**
 * Message texts carry what a receiver needs to measure without asking the server:
 * `t=<send time, epoch ms> p=<publisher> n=<publisher's counter> ` padded with `x`.
 * The send time is epoch-based with µs precision (performance.timeOrigin + now()), comparable
 * across the processes of this machine.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function makeText(publisher: string, n: number, bytes: number): string {
  const head = `t=${nowMs().toFixed(3)} p=${publisher} n=${n} `;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

export interface Stamp {
  sentAt: number;
  publisher: string;
  n: number;
}

const STAMP = /^t=(\d+(?:\.\d+)?) p=(\S+) n=(\d+) /;

export function readStamp(text: unknown): Stamp | undefined {
  if (typeof text !== 'string') return undefined;
  const m = STAMP.exec(text);
  if (!m) return undefined;
  return { sentAt: Number(m[1]), publisher: m[2]!, n: Number(m[3]) };
}
