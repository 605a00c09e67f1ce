/** Bad: a page builds a service, and reaches for a key store module's value. */
import { memoryStore } from '../keystore/store.js';
import { createRelay } from '../services/relay.js';

export class RelayPage {
  relay = createRelay();
  store = memoryStore();
}
