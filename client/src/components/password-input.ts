import { html, LitElement } from 'lit';

/** The password was edited: `password-input` (read the element's `value`). */
export class PasswordInputEvent extends Event {
  static readonly type = 'password-input';
  constructor() {
    super(PasswordInputEvent.type, { bubbles: true });
  }
}

/**
 * <parley-password-input>: a password field with a show/hide toggle. Light DOM, so the input
 * belongs to the surrounding <form> and password managers see it; paste is never blocked.
 */
export class PasswordInput extends LitElement {
  static override properties = {
    label: { type: String },
    name: { type: String },
    inputId: { type: String, attribute: 'input-id' },
    autocomplete: { type: String },
    describedBy: { type: String, attribute: 'described-by' },
    invalid: { type: Boolean },
    shown: { state: true },
  };
  declare label: string;
  declare name: string;
  declare inputId: string;
  declare autocomplete: string;
  declare describedBy: string;
  declare invalid: boolean;
  declare shown: boolean;

  constructor() {
    super();
    this.label = 'Password';
    this.name = 'password';
    this.inputId = 'password';
    this.autocomplete = 'current-password';
    this.describedBy = '';
    this.invalid = false;
    this.shown = false;
  }

  protected override createRenderRoot() {
    return this;
  }

  get input(): HTMLInputElement | null {
    return this.querySelector('input');
  }

  get value(): string {
    return this.input?.value ?? '';
  }

  override render() {
    return html`
      <label for=${this.inputId}>${this.label}</label>
      <div class="password-row">
        <input
          id=${this.inputId}
          name=${this.name}
          type=${this.shown ? 'text' : 'password'}
          autocomplete=${this.autocomplete}
          required
          spellcheck="false"
          autocapitalize="off"
          aria-invalid=${this.invalid ? 'true' : 'false'}
          aria-describedby=${this.describedBy}
          @input=${() => this.dispatchEvent(new PasswordInputEvent())}
        />
        <button
          type="button"
          class="secondary"
          aria-controls=${this.inputId}
          aria-pressed=${this.shown ? 'true' : 'false'}
          @click=${() => {
            this.shown = !this.shown;
          }}
        >
          ${this.shown ? 'Hide' : 'Show'}
        </button>
      </div>
    `;
  }
}

customElements.define('parley-password-input', PasswordInput);

declare global {
  interface HTMLElementTagNameMap {
    'parley-password-input': PasswordInput;
  }
  interface HTMLElementEventMap {
    'password-input': PasswordInputEvent;
  }
}
