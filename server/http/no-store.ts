import type { Context } from 'hono';

/**
 * Marks a response as never to be cached (RFC 9111 §5.2.2.5; `Pragma` for HTTP/1.0 caches):
 * every answer that carries a secret, a session or a user's own data.
 */
export function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
}
