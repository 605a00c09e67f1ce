import { html, LitElement } from 'lit';
import '../components/key-prompt.js';
import '../components/password-input.js';
import { appServicesOf } from '../services/app-services-of.js';
import { startAttempt, unlockFinish, unlockOptions } from '../services/auth.js';
import { useKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

type Step = 'proof' | 'key' | 'done';

/**
 * <parley-unlock-page>: an account locked after 100 failed attempts is unlocked with the
 * password, one unused recovery code and the security key; then the user signs in as usual.
 * The server tells nothing (not even whether the account is locked) before the password and
 * the code are proven.
 */
export class UnlockPage extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
  static override properties = {
    step: { state: true },
    error: { state: true },
  };
  declare step: Step;
  declare error: string;

  constructor() {
    super();
    this.step = 'proof';
    this.error = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  private async submitProof(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    const proof = {
      username: field('username'),
      password: field('password'),
      code: field('recovery-code'),
    };
    this.error = '';
    this.step = 'key';
    try {
      const first = await startAttempt(this.services().api, 'unlock');
      const { attempt, options } = await unlockOptions(this.services().api, first, proof);
      const response = await useKeyCredential(options);
      await unlockFinish(this.services().api, attempt, response);
      this.step = 'done';
    } catch (error) {
      this.error = messageOf(error);
      this.step = 'proof';
    }
  }

  override render() {
    return html`<main class="auth-page">
      <h1>Unlock your account</h1>
      ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
      ${
        this.step === 'proof' || this.step === 'key'
          ? html`<form class="auth-form" @submit=${this.submitProof} novalidate>
            <p>After too many failed sign-ins, an account is locked. Unlock it with your password,
              one of your unused recovery codes (any one) and your security key.</p>
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" required spellcheck="false"
              autocapitalize="off" />
            <parley-password-input></parley-password-input>
            <label for="recovery-code">A recovery code you have not used</label>
            <input id="recovery-code" name="recovery-code" autocomplete="one-time-code" required
              spellcheck="false" placeholder="XXXX-XXXX-XXXX-XXXX" maxlength="40" />
            ${
              this.step === 'key'
                ? html`<parley-key-prompt></parley-key-prompt>`
                : html`<button type="submit" class="primary">Unlock with my security key</button>`
            }
          </form>`
          : ''
      }
      ${
        this.step === 'done'
          ? html`<p class="notice-box" role="status">Your account is unlocked. <a href="/signin">Sign in</a>
            with your password and security key.</p>`
          : ''
      }
    </main>`;
  }
}

customElements.define('parley-unlock-page', UnlockPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-unlock-page': UnlockPage;
  }
}
