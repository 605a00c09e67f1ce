/** Allowed: types of a factory module, an asynchronous call, a typed event, a tag map entry. */
import type { Store } from '../keystore/store.js';
import { createCredential } from '../services/credential.js';
import type { Relay } from '../services/relay.js';

export class PickedEvent extends Event {
  static readonly type = 'fixture-picked';
  constructor(readonly id: string) {
    super(PickedEvent.type, { bubbles: true });
  }
}

export class GoodPage extends HTMLElement {
  relay: Relay | undefined;
  store: Store | undefined;
  credential = createCredential;
  pick(id: string) {
    this.dispatchEvent(new PickedEvent(id));
  }
}

customElements.define('fixture-good-page', GoodPage);

declare global {
  interface HTMLElementTagNameMap {
    'fixture-good-page': GoodPage;
  }
}
