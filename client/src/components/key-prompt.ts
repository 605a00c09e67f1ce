import { html, LitElement } from 'lit';

/** <parley-key-prompt>: shown while the browser waits for the security key. */
export class KeyPrompt extends LitElement {
  static override properties = { message: { type: String } };
  declare message: string;

  constructor() {
    super();
    this.message = 'Insert your security key and touch it when it blinks.';
  }

  protected override createRenderRoot() {
    return this;
  }

  override render() {
    return html`
      <div class="key-prompt" role="status" aria-live="polite">
        <progress aria-label="Waiting for the security key"></progress>
        <p>${this.message}</p>
      </div>
    `;
  }
}

customElements.define('parley-key-prompt', KeyPrompt);

declare global {
  interface HTMLElementTagNameMap {
    'parley-key-prompt': KeyPrompt;
  }
}
