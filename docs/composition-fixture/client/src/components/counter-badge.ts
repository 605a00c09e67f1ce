/** Bad: a component constructs a service class and emits an untyped event. */
import { Counter } from '../services/credential.js';

export class CounterBadge extends HTMLElement {
  counter = new Counter();
  bump() {
    this.dispatchEvent(new CustomEvent('bumped', { detail: this.counter.count }));
  }
}

customElements.define('fixture-counter-badge', CounterBadge);

declare global {
  interface HTMLElementTagNameMap {
    'fixture-counter-badge': CounterBadge;
  }
}
