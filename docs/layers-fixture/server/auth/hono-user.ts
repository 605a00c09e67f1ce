/** Bad: below routes and http, nothing speaks HTTP. */
import type { Context } from 'hono';

export type UserContext = Context;
