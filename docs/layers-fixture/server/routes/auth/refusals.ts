/** A sign-in helper: for the routes the mounting module mounts. */
export const ATTEMPT_GONE = 'gone';
