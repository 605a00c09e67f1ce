/**
 * The context words production checks passwords against come from the site's public origin
 * (siteContextWords in auth/password-policy.ts): the app built as main.ts builds it refuses the
 * site's own name and 'parley', and lets subdomain labels such as "chat" through as the ordinary
 * words they are (docs/passwords.md).
 */
import { describe, expect, it } from 'vitest';
import { ApiClient, attemptWithCaptcha } from '../../test/support/api-client.js';
import { buildTestApp } from '../../test/support/test-app.js';
import { useTestDatabase } from '../../test/support/test-database.js';

const testDb = useTestDatabase();

let n = 0;
async function passwordStep(origin: string, password: string) {
  const { app, captcha } = buildTestApp(testDb.database, { config: { publicOrigin: origin } });
  const client = new ApiClient(app, origin);
  const { attempt, answer } = await attemptWithCaptcha(client, captcha, 'signup');
  n += 1;
  return client.post('/api/signup/password', {
    attempt,
    username: `ctx${n}`,
    password,
    captcha: answer,
  });
}

describe('context words of the site', () => {
  it.each([
    ['https://chat.example.org', 'example garden lantern'],
    ['https://chat.example.org', 'parley garden lantern'],
    ['https://parley.acme.co.uk', 'acme garden lantern'],
  ])('%s refuses %j as a context word', async (origin, password) => {
    const response = await passwordStep(origin, password);
    expect(response.status).toBe(400);
    expect(response.body.error.details.reason).toBe('context_word');
  });

  it.each([
    ['https://chat.example.org', 'chat room forever'],
    ['https://parley.acme.co.uk', 'cooking uk lantern'],
  ])('%s accepts %j: subdomain and suffix labels are ordinary words', async (origin, password) => {
    expect((await passwordStep(origin, password)).status).toBe(200);
  });
});
