import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientAddress, clientSubnet, closeCodes } from '@chatorbit/shared';
import type { HandshakeRefusal } from './handshake.ts';

export interface ConnectionGuardLimits {
  /** Open sockets per client address (IPv6: per /64) on this node; 0 = no limit. */
  perIp: number;
  /** Open sockets per account (or guest token) on this node; 0 = no limit. */
  perUser: number;
  /** Handshakes per second per client address, bursts of twice that; 0 = no limit. */
  handshakesPerSec: number;
}

/** Buckets that have filled up again are forgotten this often, so the map holds only recent addresses. */
const SWEEP_MS = 10_000;

/**
 * The per-node limits of WebSocket handshakes, shared by /ws and /ws/chat: a token bucket of
 * handshakes per client address, and counts of open sockets per address and per account. The
 * address is the client's as X-Forwarded-For names it behind a trusted proxy (clientAddress), so
 * behind the gateway every client is counted by its own address, not the gateway's.
 *
 * A socket counts from its handshake until its TCP socket closes, whatever happens in between
 * (refused, upgrade failed, closed by either side): the count is taken back on that one event.
 */
export class ConnectionGuard {
  private readonly limits: ConnectionGuardLimits;
  private readonly byIp = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(limits: ConnectionGuardLimits, now: () => number = () => performance.now()) {
    this.limits = limits;
    this.now = now;
    if (limits.handshakesPerSec > 0) this.sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /**
   * Admits a handshake before its token is looked at: its address's bucket and open sockets. On
   * success the socket counts against its address until it closes; a refusal counts nothing.
   */
  admit(req: Pick<IncomingMessage, 'headers' | 'socket'>, socket: Duplex): HandshakeRefusal | undefined {
    const key = clientSubnet(clientAddress(req));
    if (this.limits.handshakesPerSec > 0 && !this.take(key)) {
      return { code: closeCodes.tooManyConnections, reason: 'too many handshakes from this address; retry later', kind: 'handshake_rate' };
    }
    if (this.limits.perIp > 0 && (this.byIp.get(key) ?? 0) >= this.limits.perIp) {
      return { code: closeCodes.tooManyConnections, reason: 'too many connections from this address', kind: 'connections_per_ip' };
    }
    this.hold(this.byIp, key, socket);
    return undefined;
  }

  /** Admits an authenticated socket for its account; on success it counts until it closes. */
  admitUser(userId: string, socket: Duplex): HandshakeRefusal | undefined {
    if (this.limits.perUser > 0 && (this.byUser.get(userId) ?? 0) >= this.limits.perUser) {
      return { code: closeCodes.tooManyConnections, reason: 'too many connections for this account', kind: 'connections_per_user' };
    }
    this.hold(this.byUser, userId, socket);
    return undefined;
  }

  /** Addresses and accounts holding sockets, and remembered buckets (tests: nothing leaks). */
  sizes() {
    return { addresses: this.byIp.size, users: this.byUser.size, buckets: this.buckets.size };
  }

  close() {
    clearInterval(this.sweeper);
  }

  private hold(counts: Map<string, number>, key: string, socket: Duplex) {
    // A socket that is already gone would never emit 'close': nothing to count.
    if (socket.destroyed) return;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    socket.once('close', () => {
      const left = (counts.get(key) ?? 1) - 1;
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
    });
  }

  /** Takes one handshake from the address's bucket (refilled at handshakesPerSec, holding twice that). */
  private take(key: string): boolean {
    const rate = this.limits.handshakesPerSec;
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(rate * 2, bucket.tokens + ((now - bucket.at) * rate) / 1000) : rate * 2;
    if (tokens < 1) {
      if (bucket) Object.assign(bucket, { tokens, at: now });
      return false;
    }
    if (bucket) Object.assign(bucket, { tokens: tokens - 1, at: now });
    else this.buckets.set(key, { tokens: tokens - 1, at: now });
    return true;
  }

  private sweep() {
    const rate = this.limits.handshakesPerSec;
    const now = this.now();
    for (const [key, bucket] of this.buckets) if (bucket.tokens + ((now - bucket.at) * rate) / 1000 >= rate * 2) this.buckets.delete(key);
  }
}
