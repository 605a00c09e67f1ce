/** Bad: the relay re-exports an auth type (export … from counts as an import). */
export type { Session } from '../auth/sessions.js';
