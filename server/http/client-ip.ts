import { isIP } from 'node:net';

/**
 * The address a request really came from. X-Forwarded-For is believed only when the TCP peer
 * is one of our own reverse proxies, and then only its last entry (the one nginx appended),
 * so a client cannot pick the address the rate limiter sees.
 */
export function resolveClientIp(
  peerAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): string {
  const peer = normalizeIp(peerAddress) ?? 'unknown';
  if (!forwardedFor || !trustedProxies.some((proxy) => normalizeIp(proxy) === peer)) return peer;
  const entries = forwardedFor.split(',').map((entry) => entry.trim());
  const last = normalizeIp(entries[entries.length - 1]);
  return last ?? peer;
}

function normalizeIp(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const trimmed = address.trim();
  // IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d.
  const unmapped = trimmed.startsWith('::ffff:') ? trimmed.slice(7) : trimmed;
  return isIP(unmapped) === 0 ? undefined : unmapped;
}
