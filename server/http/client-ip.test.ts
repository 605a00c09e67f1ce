import { describe, expect, it } from 'vitest';
import { resolveClientIp } from './client-ip.js';

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
});
