/**
 * The network layer for the auth pages: JSON over fetch to our own origin, the session's CSRF
 * token on every state-changing request, and the server's errors as ApiError values with the
 * server's stable code and its plain-words message.
 */
let csrfToken: string | undefined;

/** Kept in memory only: never in localStorage or any other web storage. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
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
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
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
    throw new ApiError(
      0,
      'network',
      'Parley cannot be reached. Check your connection and try again.',
    );
  }
  if (!response.ok) {
    let code = 'request_failed';
    let message = `The server answered ${response.status}. Try again.`;
    let details: Record<string, unknown> = {};
    try {
      const parsed = (await response.json()) as {
        error?: { code?: string; message?: string; details?: Record<string, unknown> };
      };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
      details = parsed.error?.details ?? {};
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
  const headers: Record<string, string> = options.background ? { 'x-parley-background': '1' } : {};
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
