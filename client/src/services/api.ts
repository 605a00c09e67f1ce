/**
 * The network layer for the auth pages: JSON over fetch to our own origin, the session's CSRF
 * token on every state-changing request, and the server's errors as ApiError values with the
 * server's stable code (one of the contract's: contract/api-errors.ts) and its plain-words
 * message.
 */
import {
  type ApiErrorCode,
  type ApiErrorField,
  type ApiErrorOutcome,
  apiErrorField,
  apiErrorOutcome,
  type ErrorBody,
  isApiErrorCode,
  NO_ANSWER_MESSAGE,
} from '../../../contract/api-errors.js';
import { BACKGROUND_HEADER, CSRF_HEADER } from '../../../contract/http.js';

let csrfToken: string | undefined;

/** Kept in memory only: never in localStorage or any other web storage. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/**
 * A failed request: the server's status (0 when no answer came), its code and message. A code
 * this build does not know (a newer server's) arrives as `request_failed`, with the server's
 * message.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The form field the failure belongs under, if any (the contract's, by code). */
  get field(): ApiErrorField | undefined {
    return apiErrorField(this.code);
  }

  /** What the failure means beyond its message, if anything (the contract's, by code). */
  get outcome(): ApiErrorOutcome | undefined {
    return apiErrorOutcome(this.code);
  }
}

async function request(
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers[CSRF_HEADER] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', NO_ANSWER_MESSAGE);
  }
  if (!response.ok) {
    let code: ApiErrorCode = 'request_failed';
    let message = `The server answered ${response.status}. Try again.`;
    let details: Record<string, unknown> = {};
    try {
      const parsed = (await response.json()) as Partial<ErrorBody> | null;
      const error: Partial<ErrorBody['error']> = parsed?.error ?? {};
      if (isApiErrorCode(error.code)) code = error.code;
      if (typeof error.message === 'string') message = error.message;
      if (typeof error.details === 'object' && error.details !== null) details = error.details;
    } catch {
      // Not JSON: keep the generic message.
    }
    throw new ApiError(response.status, code, message, details);
  }
  return response;
}

/**
 * A GET; `background` marks a request the user did not initiate (a re-read after a reconnect),
 * which the server does not count as session activity.
 */
export async function getJson<T>(path: string, options: { background?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = options.background ? { [BACKGROUND_HEADER]: '1' } : {};
  return (await (await request('GET', path, undefined, headers)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  const response = await request('POST', path, body);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export async function deleteRequest(path: string): Promise<void> {
  await request('DELETE', path);
}

/** A POST whose answer is an image (the CAPTCHA), as a blob: URL the page can show. */
export async function postForImage(path: string, body: unknown): Promise<string> {
  const response = await request('POST', path, body);
  return URL.createObjectURL(await response.blob());
}
