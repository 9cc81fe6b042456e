import { BlockList, isIP } from 'node:net';
import { AppError, type HttpErrorCode, type ProfilePatch } from '@chatorbit/shared';

export const DISPLAY_NAME_MAX = 50;
export const AVATAR_URL_MAX = 2048;

const invalid = (code: HttpErrorCode, message: string) => new AppError(400, code, message);

/**
 * Characters a display name may not contain anywhere: C0/C1 controls (newlines, tabs, escapes),
 * the line and paragraph separators, and the bidirectional overrides and isolates (U+202A–202E,
 * U+2066–2069), which let a name reverse the text shown after it.
 */
const FORBIDDEN_IN_NAME = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
/** A name made only of spaces and invisible format characters (zero-width space, …) is blank. */
const VISIBLE = /[^\p{Z}\p{Cf}\s]/u;

/** Trimmed, NFC-normalized, 1–50 code points, no control characters; null stays null (clears it). */
export function checkDisplayName(raw: string | null): string | null {
  if (raw === null) return null;
  const name = raw.trim().normalize('NFC');
  if (!VISIBLE.test(name)) throw invalid('invalid_display_name', 'displayName must not be blank');
  if (FORBIDDEN_IN_NAME.test(name)) {
    throw invalid('invalid_display_name', 'displayName must not contain control, line-separator or bidirectional-override characters');
  }
  if ([...name].length > DISPLAY_NAME_MAX) throw invalid('invalid_display_name', `displayName must be at most ${DISPLAY_NAME_MAX} characters`);
  return name;
}

/** `#rrggbb` in any case, stored lower-cased; null clears it. */
export function checkColor(raw: string | null): string | null {
  if (raw === null) return null;
  if (!/^#[0-9A-Fa-f]{6}$/.test(raw)) throw invalid('invalid_color', 'color must be #rrggbb (six hex digits)');
  return raw.toLowerCase();
}

/**
 * Addresses an avatar URL may not point at: anything that is not the public internet (private,
 * loopback, link-local, CGNAT, multicast, reserved, documentation ranges), and in IPv6 also the
 * prefixes that embed an IPv4 address (6to4, Teredo, NAT64), which could smuggle a private one.
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is checked against the IPv4 ranges by BlockList itself.
 */
const notPublic = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) notPublic.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 96], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2002::', 16], ['64:ff9b::', 96], ['64:ff9b:1::', 48],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) notPublic.addSubnet(net, bits, 'ipv6');

/**
 * An https URL of at most 2048 characters, without credentials, whose host is a public one: not
 * `localhost` (or a name under it), not a single-label name (resolved through search domains to
 * internal hosts), not an IP literal outside the public internet. Returns the URL normalized by
 * the WHATWG parser (so `https://0x7f000001/` is seen as 127.0.0.1, `ÄÖ.com` as punycode);
 * null clears it.
 *
 * ChatOrbit never fetches avatars itself; clients do. A public name that resolves to a private
 * address is not detected here: whatever proxies or fetches avatars server-side must check the
 * address it connects to.
 */
export function checkAvatarUrl(raw: string | null): string | null {
  if (raw === null) return null;
  const bad = (why: string) => invalid('invalid_avatar_url', `avatarUrl ${why}`);
  if (raw.length > AVATAR_URL_MAX) throw bad(`must be at most ${AVATAR_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not an absolute URL');
  }
  if (url.protocol !== 'https:') throw bad('must be an https URL');
  if (url.username || url.password) throw bad('must not contain credentials');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  const ipVersion = isIP(host);
  if (ipVersion !== 0) {
    if (notPublic.check(host, ipVersion === 6 ? 'ipv6' : 'ipv4')) throw bad('must not point at a private, loopback, link-local or reserved address');
  } else {
    if (host === 'localhost' || host.endsWith('.localhost')) throw bad('must not point at localhost');
    if (!host.includes('.')) throw bad('must name a public host (a domain name with a dot)');
  }
  if (url.href.length > AVATAR_URL_MAX) throw bad(`must be at most ${AVATAR_URL_MAX} characters once normalized`);
  return url.href;
}

/** The checked and normalized patch; fields absent from the body stay absent (unchanged). */
export function checkProfilePatch(body: { displayName?: string | null; color?: string | null; avatarUrl?: string | null }): ProfilePatch {
  const patch: ProfilePatch = {};
  if (body.displayName !== undefined) patch.displayName = checkDisplayName(body.displayName);
  if (body.color !== undefined) patch.color = checkColor(body.color);
  if (body.avatarUrl !== undefined) patch.avatarUrl = checkAvatarUrl(body.avatarUrl);
  return patch;
}
