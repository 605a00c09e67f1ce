/** Bad: the store reaches up into auth, and out into the client. */

import type { Wire } from '../../client/src/protocol/wire.js';
import type { Session } from '../auth/sessions.js';
import type { users } from './schema.js';

export type StoredSession = Session & { table: typeof users; wire: Wire };
