/**
 * A browser stand-in for API tests: keeps the session cookie and CSRF token, sends our Origin,
 * and can pretend to come from a given IP (as the TCP peer). Plus the sign-up and sign-in
 * flows, step by step, so each test can stop or go wrong where it wants.
 */
import type { App } from '../../server/app.js';
import { SESSION_COOKIE } from '../../server/http/session-cookie.js';
import { SoftAuthenticator } from './soft-authenticator.js';
import type { RecordingCaptchaProvider } from './test-auth.js';

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field.
  body: any;
  headers: Headers;
}

export class ApiClient {
  cookie: string | undefined;
  csrf: string | undefined;
  ip = '198.51.100.10';
  userAgent = 'parley-api-test';
  constructor(
    readonly app: App,
    readonly origin: string,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const response = await this.app.request(
      path,
      {
        method,
        headers: {
          origin: this.origin,
          'user-agent': this.userAgent,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.cookie ? { cookie: `${SESSION_COOKIE}=${this.cookie}` } : {}),
          ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      { incoming: { socket: { remoteAddress: this.ip } } },
    );
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const [name, value = ''] = pair.split('=');
      if (name !== SESSION_COOKIE) continue;
      const cleared = value === '' || attributes.some((a) => /max-age=0/i.test(a.trim()));
      this.cookie = cleared ? undefined : value;
    }
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('application/json')
      ? await response.json()
      : await response.arrayBuffer();
    if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed) {
      this.csrf = (parsed as { csrfToken: string }).csrfToken;
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  get = (path: string, headers?: Record<string, string>) =>
    this.call('GET', path, undefined, headers);
  post = (path: string, body: unknown = {}, headers?: Record<string, string>) =>
    this.call('POST', path, body, headers);
}

export interface SignedUp {
  key: SoftAuthenticator;
  codes: { number: number; code: string }[];
}

/** Starts a pending attempt and solves its CAPTCHA; returns the attempt and the answer. */
export async function attemptWithCaptcha(
  client: ApiClient,
  captcha: RecordingCaptchaProvider,
  kind: 'signup' | 'signin',
): Promise<{ attempt: string; answer: string }> {
  const started = await client.post(`/api/${kind}/start`);
  if (started.status !== 200) throw new Error(`start: ${started.status}`);
  const image = await client.post('/api/auth/captcha', { attempt: started.body.attempt });
  if (image.status !== 200) throw new Error(`captcha: ${image.status}`);
  return { attempt: started.body.attempt, answer: captcha.lastAnswer() };
}

/** The whole sign-up: password, key, codes, confirmation. Throws on any unexpected answer. */
export async function signUp(
  client: ApiClient,
  captcha: RecordingCaptchaProvider,
  username: string,
  password: string,
  key = new SoftAuthenticator(client.origin),
): Promise<SignedUp> {
  const { attempt, answer } = await attemptWithCaptcha(client, captcha, 'signup');
  const step1 = await client.post('/api/signup/password', {
    attempt,
    username,
    password,
    captcha: answer,
  });
  if (step1.status !== 200)
    throw new Error(`password: ${step1.status} ${JSON.stringify(step1.body)}`);
  const response = await key.register(step1.body.options);
  const step2 = await client.post('/api/signup/key', { attempt, response, keyName: 'Test key' });
  if (step2.status !== 200) throw new Error(`key: ${step2.status} ${JSON.stringify(step2.body)}`);
  const step3 = await client.post('/api/signup/finish', { attempt, savedCodes: true });
  if (step3.status !== 200)
    throw new Error(`finish: ${step3.status} ${JSON.stringify(step3.body)}`);
  return { key, codes: step2.body.recoveryCodes };
}

/** Password step of sign-in (solving the CAPTCHA when asked). */
export async function signInPassword(
  client: ApiClient,
  captcha: RecordingCaptchaProvider,
  username: string,
  password: string,
): Promise<{ attempt: string; response: ApiResponse }> {
  const started = await client.post('/api/signin/start');
  const attempt = started.body.attempt as string;
  let response = await client.post('/api/signin/password', { attempt, username, password });
  if (response.body?.error?.code === 'captcha_required') {
    await client.post('/api/auth/captcha', { attempt });
    response = await client.post('/api/signin/password', {
      attempt,
      username,
      password,
      captcha: captcha.lastAnswer(),
    });
  }
  return { attempt, response };
}

/** Password and key: a full session, or the failing response. */
export async function signIn(
  client: ApiClient,
  captcha: RecordingCaptchaProvider,
  username: string,
  password: string,
  key: SoftAuthenticator,
): Promise<ApiResponse> {
  const { attempt, response } = await signInPassword(client, captcha, username, password);
  if (response.status !== 200) return response;
  const assertion = await key.assert(response.body.options);
  return client.post('/api/signin/key', { attempt, response: assertion });
}
