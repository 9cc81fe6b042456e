import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * Headers the gateway adds to every proxied request and WebSocket handshake: the request id, so
 * upstream logs correlate with the gateway's, and the X-Forwarded-* trail, so upstreams see the
 * client's address and scheme (rate limits, Secure cookies) rather than the gateway's.
 */
export function forwardedHeaders(raw: { headers: IncomingHttpHeaders; socket: Socket }, requestId: string): Record<string, string> {
  const headers = raw.headers;
  const remote = raw.socket.remoteAddress ?? 'unknown';
  const priorFor = joined(headers['x-forwarded-for']);
  const forwarded: Record<string, string> = {
    'x-request-id': requestId,
    'x-forwarded-for': priorFor ? `${priorFor}, ${remote}` : remote,
    'x-forwarded-proto': joined(headers['x-forwarded-proto']) ?? ((raw.socket as TLSSocket).encrypted ? 'https' : 'http'),
  };
  const host = joined(headers['x-forwarded-host']) ?? headers.host;
  if (host) forwarded['x-forwarded-host'] = host;
  return forwarded;
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value || undefined;
}
