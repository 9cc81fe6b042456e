import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { clientAddress, isTrustedProxy } from './client-address.ts';

const req = (remoteAddress: string, forwardedFor?: string | string[]) =>
  ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('clientAddress (X-Forwarded-For only from trusted proxies)', () => {
  it.each([
    ['a client on the internet, no header', req('198.51.100.7'), '198.51.100.7'],
    ['a client on the internet cannot choose its address', req('198.51.100.7', '10.0.0.1'), '198.51.100.7'],
    ['nor by a chain', req('198.51.100.7', '1.2.3.4, 127.0.0.1'), '198.51.100.7'],
    ['behind the gateway (loopback)', req('127.0.0.1', '198.51.100.7'), '198.51.100.7'],
    ['behind an ingress and the gateway (private ranges)', req('10.1.2.3', '198.51.100.7, 172.16.0.9'), '198.51.100.7'],
    ['a spoofed first hop stays behind the real client', req('192.168.1.1', '6.6.6.6, 198.51.100.7'), '198.51.100.7'],
    ['IPv4-mapped peers are IPv4', req('::ffff:127.0.0.1', '::ffff:198.51.100.7'), '198.51.100.7'],
    ['IPv6 loopback and unique-local proxies', req('::1', '2001:db8::5, fd00::1'), '2001:db8::5'],
    ['only trusted hops all the way: the last one given', req('127.0.0.1', '10.0.0.5'), '10.0.0.5'],
    ['several header lines', req('127.0.0.1', ['198.51.100.1', '198.51.100.2']), '198.51.100.2'],
    ['a malformed hop is not trusted: it is the client', req('127.0.0.1', '198.51.100.7, not-an-ip'), 'not-an-ip'],
    ['an empty header', req('127.0.0.1', ''), '127.0.0.1'],
  ])('%s', (_name, request, expected) => {
    expect(clientAddress(request)).toBe(expected);
  });

  it('trusts loopback, link-local and private ranges only', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '169.254.1.1', 'fe80::1', '10.0.0.1', '172.31.255.255', '192.168.0.1', 'fd12::1', '::ffff:10.0.0.1']) {
      expect(isTrustedProxy(ip), ip).toBe(true);
    }
    for (const ip of ['198.51.100.7', '172.32.0.1', '11.0.0.1', '2001:db8::1', '100.64.0.1', '', 'localhost', '::ffff:8.8.8.8']) {
      expect(isTrustedProxy(ip), ip).toBe(false);
    }
  });
});
