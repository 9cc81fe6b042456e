import type { PeerName } from '../loadgen/protocol.ts';

export const PEER_LABEL: Record<PeerName, string> = { chatorbit: 'ChatOrbit', socketio: 'Socket.IO' };

/** A number with about three significant digits; '-' for nothing. */
export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 10 ** digits || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US');
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  return value.toFixed(Math.min(decimals, 3));
}

export function int(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : Math.round(value).toLocaleString('en-US');
}

export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  // A zero is usually a reading below the clock's resolution (10 ms ticks), not a real zero.
  if (a === null || a === undefined || b === null || b === undefined || a === 0 || b === 0) return '-';
  return `${(a / b).toFixed(2)}×`;
}
