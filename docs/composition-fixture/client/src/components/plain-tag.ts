/** Bad: a custom element with no HTMLElementTagNameMap entry. */
export class PlainTag extends HTMLElement {}

customElements.define('fixture-plain-tag', PlainTag);
