/** Allowed: one contract file imports another. */
import type { Code } from './codes.js';

export type Frame = { code: Code };
