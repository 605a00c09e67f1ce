import { html, LitElement, svg } from 'lit';
import { encode } from 'uqr';

/** The code typed from the authenticator app: `totp-code`, for the page to send. */
export class TotpCodeEvent extends Event {
  static readonly type = 'totp-code';
  constructor(readonly code: string) {
    super(TotpCodeEvent.type, { bubbles: true, composed: true });
  }
}

/**
 * <parley-totp-enrol>: the one showing of a new authenticator app's secret: a QR code of its
 * otpauth:// URI, drawn here as SVG (uqr encodes; no third-party service, no innerHTML), the
 * secret as text for typing in by hand, and the field for the app's first code, which the page
 * sends (event `totp-code`). The secret is never shown again after this.
 */
export class TotpEnrol extends LitElement {
  static override properties = {
    uri: { type: String },
    secret: { type: String },
    error: { type: String },
    busy: { type: Boolean },
  };
  declare uri: string;
  declare secret: string;
  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    this.uri = '';
    this.secret = '';
    this.error = '';
    this.busy = false;
  }

  protected override createRenderRoot() {
    return this;
  }

  private submit(event: SubmitEvent) {
    event.preventDefault();
    const input = this.querySelector<HTMLInputElement>('#totp-code');
    this.dispatchEvent(new TotpCodeEvent(input?.value ?? ''));
  }

  private qr() {
    if (!this.uri) return '';
    const { data, size } = encode(this.uri, { ecc: 'M', border: 2 });
    const cells = [];
    for (let y = 0; y < size; y += 1) {
      for (let x = 0; x < size; x += 1) {
        if (data[y]?.[x]) cells.push(svg`<rect x=${x} y=${y} width="1" height="1"></rect>`);
      }
    }
    return html`<svg class="totp-qr" role="img" aria-label="QR code for your authenticator app"
      viewBox=${`0 0 ${size} ${size}`} shape-rendering="crispEdges" width="200" height="200">
      <rect width=${size} height=${size} fill="#fff"></rect>
      <g fill="#000">${cells}</g>
    </svg>`;
  }

  override render() {
    const grouped = this.secret.replace(/(.{4})/g, '$1 ').trim();
    return html`<form class="auth-form totp-enrol" @submit=${this.submit} novalidate>
      <ol class="help-steps">
        <li>Open an authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP, 1Password…).</li>
        <li>Add an account and scan this QR code, or type the key below.</li>
        <li>Type the 6-digit code the app shows.</li>
      </ol>
      ${this.qr()}
      <p class="help">Key to type by hand (time-based, 6 digits, every 30 seconds):</p>
      <p><code class="totp-secret">${grouped}</code></p>
      <p class="help">This key is shown only now. Anyone who sees it can make your codes.</p>
      ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
      <label for="totp-code">Code from the app</label>
      <input id="totp-code" name="totp-code" inputmode="numeric" autocomplete="one-time-code"
        pattern="[0-9 ]*" maxlength="8" required spellcheck="false" />
      <button type="submit" class="primary" ?disabled=${this.busy}>Confirm the code</button>
    </form>`;
  }
}

customElements.define('parley-totp-enrol', TotpEnrol);

declare global {
  interface HTMLElementTagNameMap {
    'parley-totp-enrol': TotpEnrol;
  }
  interface HTMLElementEventMap {
    'totp-code': TotpCodeEvent;
  }
}
