import { html, LitElement } from 'lit';
import { appServicesOf } from '../services/app-services-of.js';
import { captchaImage } from '../services/auth.js';

/**
 * <parley-captcha>: the picture of a pending attempt's CAPTCHA, the field to type it, and a
 * "New image" button. The picture comes as a blob: URL (allowed by the CSP's img-src).
 */
export class CaptchaField extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
  static override properties = {
    attempt: { type: String },
    error: { type: String },
    src: { state: true },
    loading: { state: true },
  };
  declare attempt: string;
  declare error: string;
  declare src: string;
  declare loading: boolean;

  constructor() {
    super();
    this.attempt = '';
    this.error = '';
    this.src = '';
    this.loading = false;
  }

  protected override createRenderRoot() {
    return this;
  }

  get value(): string {
    return this.querySelector<HTMLInputElement>('input[name="captcha"]')?.value ?? '';
  }

  /** Fetches a new picture for the current attempt and clears the field. */
  async refresh(): Promise<void> {
    if (!this.attempt) return;
    this.loading = true;
    try {
      const url = await captchaImage(this.services().api, this.attempt);
      if (this.src) URL.revokeObjectURL(this.src);
      this.src = url;
      const input = this.querySelector<HTMLInputElement>('input[name="captcha"]');
      if (input) input.value = '';
    } catch (error) {
      this.error = error instanceof Error ? error.message : 'The picture could not be loaded.';
    } finally {
      this.loading = false;
    }
  }

  override disconnectedCallback(): void {
    if (this.src) URL.revokeObjectURL(this.src);
    super.disconnectedCallback();
  }

  override render() {
    return html`
      <fieldset class="captcha">
        <legend>Prove you are a person</legend>
        <div class="captcha-row">
          ${
            this.src
              ? html`<img class="captcha-image" src=${this.src} width="200" height="70"
                alt="Distorted characters to type into the field below" />`
              : html`<div class="captcha-image placeholder" aria-hidden="true"></div>`
          }
          <button type="button" class="secondary" ?disabled=${this.loading}
            @click=${() => this.refresh()}>New image</button>
        </div>
        <label for="captcha-answer">Characters in the picture</label>
        <input id="captcha-answer" name="captcha" autocomplete="off" autocapitalize="characters"
          spellcheck="false" required maxlength="16"
          aria-invalid=${this.error ? 'true' : 'false'}
          aria-describedby=${this.error ? 'captcha-error' : ''} />
        ${this.error ? html`<p id="captcha-error" class="field-error" role="alert">${this.error}</p>` : ''}
      </fieldset>
    `;
  }
}

customElements.define('parley-captcha', CaptchaField);

declare global {
  interface HTMLElementTagNameMap {
    'parley-captcha': CaptchaField;
  }
}
