import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ApiErrorCode, apiErrorMessage, type ErrorBody } from '../../contract/api-errors.js';
import { databaseErrorSummary, isDatabaseUnavailable } from '../db/errors.js';
import { type Logger, throttleRepeats } from '../logger.js';

/** Identical unexpected errors are logged once per this interval, with a count. */
export const ERROR_LOG_INTERVAL_MS = 10_000;

/** Seconds a client is told to wait before trying again while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export type { ErrorBody };

/**
 * A failure the client caused or can act on: answered with its status and a stable code, one of
 * the contract's (contract/api-errors.ts), and a message (the code's default sentence when none
 * is given). Anything else thrown is a bug and becomes a generic 500 carrying only a request id.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string = apiErrorMessage(code),
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: ApiErrorCode,
  message: string = apiErrorMessage(code),
  details?: Record<string, unknown>,
) {
  const body: ErrorBody = { error: { code, message, ...(details ? { details } : {}) } };
  return c.json(body, status);
}

/** Codes for the HTTPExceptions Hono's own middleware throws. */
function codeForStatus(status: number): ApiErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'body_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'request_failed';
  }
}

/**
 * The one error handler: an HttpError becomes its status and code; the database being
 * unreachable (down, restarting, no pooled connection within the bound) a 503
 * `database_unavailable` with Retry-After, logged as one short line per interval; anything else
 * a 500 with a request id, its stack logged (identical ones once per interval, with a count).
 */
export function createErrorHandler(
  baseLogger: Logger,
  options: { now?: () => number } = {},
): ErrorHandler {
  const logger = throttleRepeats(baseLogger, {
    intervalMs: ERROR_LOG_INTERVAL_MS,
    ...(options.now ? { now: options.now } : {}),
  });
  return (error, c) => {
    if (error instanceof HttpError) {
      return errorResponse(c, error.status, error.code, error.message, error.details);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return errorResponse(c, error.status, codeForStatus(error.status), error.message);
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn('database unavailable', { error: databaseErrorSummary(error) });
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return errorResponse(c, 503, 'database_unavailable');
    }
    const requestId = c.get('requestId') as string | undefined;
    logger.error('unhandled error', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      error,
    });
    const body: ErrorBody = {
      error: {
        code: 'internal',
        message: 'Internal server error',
        ...(requestId ? { requestId } : {}),
      },
    };
    return c.json(body, 500);
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}`);

/** 503 with Retry-After: the server is saturated for now (the password-hashing queue is full). */
export function busyResponse(c: Context, retryAfterSeconds: number) {
  c.header('Retry-After', String(retryAfterSeconds));
  return errorResponse(
    c,
    503,
    'busy',
    `The server is busy with other sign-ins. Try again in ${retryAfterSeconds} seconds.`,
    { retryAfterSeconds },
  );
}
