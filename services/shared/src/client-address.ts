import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * Where proxies we believe X-Forwarded-For from may sit: loopback, link-local and private ranges
 * (the gateway, the ingress, a sidecar), never an address on the internet. Fastify's `trustProxy`
 * (every service) and `clientAddress` (chat's WebSocket handshakes, which Fastify never sees) use
 * this one list.
 */
export const TRUSTED_PROXY_RANGES = [
  '127.0.0.0/8',
  '::1/128',
  '169.254.0.0/16',
  'fe80::/10',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
] as const;

const trusted = new BlockList();
for (const range of TRUSTED_PROXY_RANGES) {
  const [network, prefix] = range.split('/') as [string, string];
  trusted.addSubnet(network, Number(prefix), network.includes(':') ? 'ipv6' : 'ipv4');
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; other addresses unchanged. */
const unmapped = (ip: string) => /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1] ?? ip;

/** Whether `ip` is an address a trusted proxy may have (a malformed one never is). */
export function isTrustedProxy(ip: string): boolean {
  const address = unmapped(ip.trim());
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address as Fastify's `request.ip` finds it with `trustProxy` = TRUSTED_PROXY_RANGES:
 * starting from the TCP peer, each hop that is a trusted proxy hands over to the address it put
 * last in X-Forwarded-For; the first hop that is not trusted (or the last one given) is the client.
 * So a client on the internet cannot choose its address by sending X-Forwarded-For itself.
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>): string {
  let address = unmapped(req.socket.remoteAddress ?? 'unknown');
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  while (hops.length > 0 && isTrustedProxy(address)) address = unmapped(hops.pop()!);
  return address;
}

/**
 * What a client address is counted as by per-address limits: an IPv4 address itself (also when
 * written IPv4-mapped, `::ffff:10.0.0.1`), an IPv6 address by its /64, since one client commonly
 * holds a whole /64.
 */
export function clientSubnet(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
