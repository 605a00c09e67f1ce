import type { ApiError } from '../services/api.js';

/** Bad: a component imports the transport. */
export type RowError = ApiError;
