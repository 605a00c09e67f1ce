import { describe, expect, it } from 'vitest';
import { isProxyEntry, resolveClientIp } from './client-ip.js';

describe('resolveClientIp', () => {
  it('uses the TCP peer when no proxy is trusted', () => {
    expect(resolveClientIp('203.0.113.9', '198.51.100.1', [])).toBe('203.0.113.9');
  });

  it('believes the last X-Forwarded-For entry from a trusted proxy', () => {
    expect(resolveClientIp('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.7', ['127.0.0.1'])).toBe(
      '198.51.100.7',
    );
  });

  it('ignores a forged header from an untrusted peer', () => {
    expect(resolveClientIp('203.0.113.9', '127.0.0.1', ['127.0.0.1'])).toBe('203.0.113.9');
  });

  it('falls back to the peer when the header is garbage', () => {
    expect(resolveClientIp('127.0.0.1', 'not-an-ip', ['127.0.0.1'])).toBe('127.0.0.1');
  });

  it('trusts a proxy range in CIDR notation (compose: Docker picks the internal network)', () => {
    const ranges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
    expect(resolveClientIp('172.19.0.4', '198.51.100.7', ranges)).toBe('198.51.100.7');
    expect(resolveClientIp('::ffff:10.1.2.3', '198.51.100.8', ranges)).toBe('198.51.100.8');
    expect(resolveClientIp('172.32.0.1', '198.51.100.7', ranges)).toBe('172.32.0.1');
    expect(resolveClientIp('203.0.113.9', '198.51.100.7', ranges)).toBe('203.0.113.9');
  });

  it('takes addresses and address/prefix ranges as proxy entries, nothing else', () => {
    for (const entry of ['127.0.0.1', '172.16.0.0/12', '::1', 'fd00::/8', '0.0.0.0/0'])
      expect(isProxyEntry(entry), entry).toBe(true);
    for (const entry of [
      'nginx',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/8/1',
      'fd00::/129',
      '1.2.3.4/x',
    ])
      expect(isProxyEntry(entry), entry).toBe(false);
  });
});
