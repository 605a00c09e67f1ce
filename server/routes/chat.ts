/**
 * The chat's read side (the relay on the live channel is the write side). Every route needs a
 * full (AAL2) session; all but the read mark are GETs and change nothing (a user-initiated GET still counts as
 * session activity, a request marked X-Parley-Background does not).
 *
 *   GET /api/users/me                                   → { id, username } of the signed-in user
 *   GET /api/users?username=<name>                      → { users: [{ id, username }] } (0 or 1)
 *   GET /api/conversations                              → { conversations: [...] } latest first
 *   GET /api/conversations/:peerId/messages?before=&limit=
 *                                                       → { messages: [...], hasMore } in id order
 *   POST /api/conversations/:peerId/read { lastReadId } → 204: moves the user's read mark up
 *
 * Finding a contact is an exact, case-insensitive username look-up, never a prefix search or a
 * listing: it tells nothing that sign-up ("this username is taken") does not already tell, and
 * it does not let anyone enumerate the users.
 */

import { Hono } from 'hono';
import { z } from 'zod';
import type {
  ChatUser,
  ConversationsAnswer,
  HistoryAnswer,
  UserSearchAnswer,
} from '../../contract/chat.js';
import type { AuthStore, SessionContext } from '../auth/auth-contexts.js';
import type { TokenBucketLimiter, TokenBucketOptions } from '../auth/rate-limit.js';
import { checkUsername } from '../auth/username.js';
import { storedMessageOf } from '../chat/stored-message.js';
import { conversationPage, recentConversations } from '../db/message-store.js';
import { markRead, readMarks } from '../db/read-store.js';
import { findUserById, findUserByKey } from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { rateLimit } from '../http/ip-rate-limit.js';
import { noStore } from '../http/no-store.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { readJsonBody } from '../http/validation.js';

/**
 * Contact look-ups per user: a bucket of 30, refilling one every 2 s, so a signed-in user cannot
 * test a dictionary of names at full speed (sign-up's "this username is taken" costs a CAPTCHA).
 */
export const USER_LOOKUP_BUCKET = { capacity: 30, refillPerSecond: 0.5 };

export const HISTORY_PAGE_DEFAULT = 50;
export const HISTORY_PAGE_MAX = 100;
export const CONVERSATIONS_MAX = 50;

const userIdParam = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/)
  .transform(Number);

const historyQuery = z
  .object({
    before: userIdParam.optional(),
    limit: z
      .string()
      .regex(/^[0-9]{1,3}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(HISTORY_PAGE_MAX))
      .optional(),
  })
  .strict();

const readBody = z
  .object({ lastReadId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) })
  .strict();

const searchQuery = z.object({ username: z.string().min(1).max(64) }).strict();

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid_query', `The ${what} is not valid.`);
  return parsed.data;
}

/** What the chat's read side needs: the database, the sessions, the shared token buckets. */
export interface ChatRouteContext {
  store: AuthStore;
  sessions: SessionContext;
  /** Named token buckets, shared by every instance (server/cluster/). */
  tokenBuckets(name: string, options: TokenBucketOptions): TokenBucketLimiter;
}

export function chatRoutes(ctx: ChatRouteContext) {
  const app = new Hono<SessionEnv>();
  const full = requireSession(ctx.sessions, ['full']);
  for (const path of ['/api/users', '/api/users/*', '/api/conversations', '/api/conversations/*']) {
    app.use(path, full);
  }

  app.get('/api/users/me', async (c) => {
    const user = await findUserById(ctx.store.db, c.get('session').userId);
    if (!user) throw new HttpError(401, 'not_signed_in');
    noStore(c);
    return c.json({ id: String(user.id), username: user.username } satisfies ChatUser);
  });

  const lookups = rateLimit<SessionEnv>(
    ctx.tokenBuckets('user-lookup', USER_LOOKUP_BUCKET),
    (c) => String(c.get('session').userId),
    'Too many look-ups.',
  );
  app.get('/api/users', lookups, async (c) => {
    const { username } = parse(searchQuery, c.req.query(), 'search');
    const verdict = checkUsername(username);
    const user = verdict.ok ? await findUserByKey(ctx.store.db, verdict.key) : undefined;
    noStore(c);
    const users =
      user && user.id !== c.get('session').userId
        ? [{ id: String(user.id), username: user.username }]
        : [];
    return c.json({ users } satisfies UserSearchAnswer);
  });

  app.get('/api/conversations', async (c) => {
    const userId = c.get('session').userId;
    const [rows, marks] = await Promise.all([
      recentConversations(ctx.store.db, userId, CONVERSATIONS_MAX),
      readMarks(ctx.store.db, userId),
    ]);
    noStore(c);
    return c.json({
      conversations: rows.map((row) => ({
        peer: { id: String(row.peerId), username: row.peerUsername },
        lastMessageId: row.lastMessageId,
        lastAt: row.lastAt.toISOString(),
        lastReadId: marks.get(row.peerId) ?? 0,
      })),
    } satisfies ConversationsAnswer);
  });

  app.post('/api/conversations/:peerId/read', async (c) => {
    const peerId = parse(userIdParam, c.req.param('peerId'), 'user id');
    const body = await readJsonBody(c, readBody);
    const userId = c.get('session').userId;
    if (peerId === userId || !(await markRead(ctx.store.db, userId, peerId, body.lastReadId))) {
      throw new HttpError(404, 'unknown_message');
    }
    return c.body(null, 204);
  });

  app.get('/api/conversations/:peerId/messages', async (c) => {
    const peerId = parse(userIdParam, c.req.param('peerId'), 'user id');
    const query = parse(historyQuery, c.req.query(), 'page');
    const userId = c.get('session').userId;
    if (peerId === userId || !(await findUserById(ctx.store.db, peerId))) {
      throw new HttpError(404, 'unknown_user');
    }
    const page = await conversationPage(ctx.store.db, {
      userId,
      peerId,
      limit: query.limit ?? HISTORY_PAGE_DEFAULT,
      ...(query.before === undefined ? {} : { beforeId: query.before }),
    });
    noStore(c);
    return c.json({
      messages: page.rows.map(storedMessageOf),
      hasMore: page.hasMore,
    } satisfies HistoryAnswer);
  });

  return app;
}
