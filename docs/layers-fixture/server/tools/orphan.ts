/** Bad: a folder the layers do not know. */
export const orphan = true;
