import type { Store } from '../keystore/store.js';

/** Bad: the protocol reaches into the key store. */
export type Wire = { store: Store };
