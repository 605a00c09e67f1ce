/** Bad: the contract reaches into the server, and imports a package. */

import type { z } from 'zod';
import type { users } from '../server/db/schema.js';

export type Code = { table: typeof users; schema: z.ZodType };
