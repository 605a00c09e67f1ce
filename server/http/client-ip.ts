import { BlockList, isIP } from 'node:net';

/**
 * The address a request really came from. X-Forwarded-For is believed only when the TCP peer
 * is one of our own reverse proxies, and then only its last entry (the one nginx appended),
 * so a client cannot pick the address the rate limiter sees. A trusted proxy is an address
 * (`127.0.0.1`) or a range in CIDR notation (`172.16.0.0/12`: compose's internal network,
 * whose addresses Docker picks).
 */
export function resolveClientIp(
  peerAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): string {
  const peer = normalizeIp(peerAddress) ?? 'unknown';
  if (!forwardedFor || !isTrustedProxy(peer, trustedProxies)) return peer;
  const entries = forwardedFor.split(',').map((entry) => entry.trim());
  const last = normalizeIp(entries[entries.length - 1]);
  return last ?? peer;
}

/** An address, or an address/prefix-length range, as TRUSTED_PROXIES takes them. */
export function isProxyEntry(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const matchers = new WeakMap<readonly string[], BlockList>();

function isTrustedProxy(peer: string, trustedProxies: readonly string[]): boolean {
  const family = isIP(peer);
  if (family === 0) return false;
  let list = matchers.get(trustedProxies);
  if (!list) {
    list = new BlockList();
    for (const entry of trustedProxies) {
      const [address = '', prefix] = entry.split('/');
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) list.addAddress(normalizeIp(address) ?? address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    matchers.set(trustedProxies, list);
  }
  return list.check(peer, family === 4 ? 'ipv4' : 'ipv6');
}

function normalizeIp(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const trimmed = address.trim();
  // IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d.
  const unmapped = trimmed.startsWith('::ffff:') ? trimmed.slice(7) : trimmed;
  return isIP(unmapped) === 0 ? undefined : unmapped;
}
