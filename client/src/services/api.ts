/**
 * The API client's vocabulary: the server's failures as ApiError values with the server's stable
 * code (one of the contract's: contract/api-errors.ts) and its plain-words message, and the
 * client itself, which main.ts builds once (services/api-client.ts) and the pages receive.
 */
import {
  type ApiErrorCode,
  type ApiErrorField,
  type ApiErrorOutcome,
  apiErrorField,
  apiErrorOutcome,
} from '../../../contract/api-errors.js';

/**
 * JSON over fetch to our own origin, with the session's CSRF token on every state-changing
 * request; a failure rejects with an ApiError.
 */
export interface ApiClient {
  /**
   * A GET; `background` marks a request the user did not initiate (a re-read after a
   * reconnect), which the server does not count as session activity.
   */
  getJson<T>(path: string, options?: { background?: boolean }): Promise<T>;
  postJson<T>(path: string, body?: unknown): Promise<T>;
  deleteRequest(path: string): Promise<void>;
  /** A POST whose answer is an image (the CAPTCHA), as a blob: URL the page can show. */
  postForImage(path: string, body: unknown): Promise<string>;
  /** Kept in memory only: never in localStorage or any other web storage. */
  setCsrfToken(token: string | undefined): void;
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
