/**
 * The HTTP side of pending attempts: the request details every step records, and the start
 * step every flow shares.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AttemptAnswer } from '../../../contract/answers.js';
import {
  type AttemptKind,
  type AttemptRow,
  beginAttempt,
  type RequestInfo,
} from '../../auth/attempts.js';
import type { AttemptContext } from '../../auth/auth-contexts.js';
import { noStore } from '../../http/no-store.js';
import { readJsonBody } from '../../http/validation.js';

export function requestInfo(c: Context): RequestInfo {
  return {
    ip: (c.get('clientIp') as string | undefined) ?? 'unknown',
    userAgent: (c.req.header('user-agent') ?? '').slice(0, 255),
  };
}

/** POST /api/<flow>/start: an empty body in, a new pending attempt's token out (never cached). */
export function startAttemptHandler(
  attempts: AttemptContext,
  kind: AttemptKind,
  fields: Partial<AttemptRow>,
) {
  return async (c: Context) => {
    await readJsonBody(c, z.object({}).strict());
    const { token, expiresAt } = await beginAttempt(attempts, requestInfo(c), kind, fields);
    noStore(c);
    return c.json({ attempt: token, expiresAt: expiresAt.toISOString() } satisfies AttemptAnswer);
  };
}
