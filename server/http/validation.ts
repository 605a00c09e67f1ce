import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from './errors.js';

/**
 * Reads a JSON request body and validates it against a schema. A body that is not JSON,
 * or not of the schema's shape, is the client's mistake: 400 with a stable code.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  mediaTypes: readonly string[] = ['application/json'],
): Promise<z.output<S>> {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!mediaTypes.includes(mediaType)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Send the body as ${mediaTypes.join(' or ')}`,
    );
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpError(400, 'invalid_json');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_body', undefined, {
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
      })),
    });
  }
  return parsed.data;
}
