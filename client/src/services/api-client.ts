/**
 * The network layer: JSON over fetch to our own origin, the session's CSRF token on every
 * state-changing request, and the server's errors as ApiError values. main.ts builds the one
 * client of the app; services take it as their first argument.
 */
import {
  type ApiErrorCode,
  type ErrorBody,
  isApiErrorCode,
  NO_ANSWER_MESSAGE,
} from '../../../contract/api-errors.js';
import { BACKGROUND_HEADER, CSRF_HEADER } from '../../../contract/http.js';
import { type ApiClient, ApiError } from './api.js';

export interface ApiClientOptions {
  /** `window.fetch` in the browser. */
  fetch: typeof fetch;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  let csrfToken: string | undefined;

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
      response = await options.fetch(path, {
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

  return {
    async getJson<T>(path: string, { background = false } = {}): Promise<T> {
      const headers: Record<string, string> = background ? { [BACKGROUND_HEADER]: '1' } : {};
      return (await (await request('GET', path, undefined, headers)).json()) as T;
    },
    async postJson<T>(path: string, body: unknown = {}): Promise<T> {
      const response = await request('POST', path, body);
      if (response.status === 204) return undefined as T;
      return (await response.json()) as T;
    },
    async deleteRequest(path: string): Promise<void> {
      await request('DELETE', path);
    },
    async postForImage(path: string, body: unknown): Promise<string> {
      const response = await request('POST', path, body);
      return URL.createObjectURL(await response.blob());
    },
    setCsrfToken(token) {
      csrfToken = token;
    },
  };
}
