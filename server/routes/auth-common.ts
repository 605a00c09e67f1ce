/**
 * What the sign-up, sign-in, unlock, session and account routes share, split by concept under
 * routes/auth/: request bodies (bodies.ts), pending attempts and challenges (attempts.ts), the
 * CAPTCHA check (captcha-check.ts), recovery codes (recovery-codes.ts), password checks
 * (password-check.ts), new factors (factors.ts) and session responses (session-response.ts).
 * This index re-exports them for the routes that import the shared pieces together.
 */
export * from './auth/attempts.js';
export * from './auth/bodies.js';
export * from './auth/captcha-check.js';
export * from './auth/factors.js';
export * from './auth/password-check.js';
export * from './auth/recovery-codes.js';
export * from './auth/session-response.js';
