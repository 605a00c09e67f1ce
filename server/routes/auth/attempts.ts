/**
 * The HTTP side of pending attempts: the request details every step records, the start step
 * every flow shares, and the attempt and challenge a step names, with their refusals as HTTP.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { beginAttempt, findAttempt, type RequestInfo, useChallenge } from '../../auth/attempts.js';
import type { AttemptContext, AuthStore } from '../../auth/auth-contexts.js';
import type { AttemptKind, AttemptRow } from '../../db/attempt-store.js';
import { noStore } from '../../http/no-store.js';
import { readJsonBody } from '../../http/validation.js';
import { refusalError } from './refusals.js';

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
    return c.json({ attempt: token, expiresAt: expiresAt.toISOString() });
  };
}

/** The live attempt a step names, in one of the expected steps; 401 or 409 otherwise. */
export async function requireAttempt(
  store: AuthStore,
  token: string,
  kind: AttemptKind,
  steps: readonly string[],
): Promise<AttemptRow> {
  const found = await findAttempt(store, token, kind, steps);
  if (found.kind !== 'found') throw refusalError(found);
  return found.attempt;
}

/** Takes the attempt's challenge (single use); 400 when there is none or it expired. */
export async function requireChallenge(store: AuthStore, attempt: AttemptRow): Promise<string> {
  const used = await useChallenge(store, attempt);
  if (used.kind !== 'challenge') throw refusalError(used);
  return used.challenge;
}
