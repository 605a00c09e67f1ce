import { html, LitElement } from 'lit';
import '../components/key-prompt.js';
import { startAttempt, unlockFinish, unlockOptions } from '../services/auth.js';
import { useKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

type Step = 'username' | 'proof' | 'key' | 'done';

/**
 * <parley-unlock-page>: an account locked after 100 failed attempts is unlocked with the
 * security key plus one recovery code; then the user signs in as usual.
 */
export class UnlockPage extends LitElement {
  static override properties = {
    step: { state: true },
    error: { state: true },
    codeNumber: { state: true },
  };
  declare step: Step;
  declare error: string;
  declare codeNumber: number | null;
  private attempt = '';
  private options: Awaited<ReturnType<typeof unlockOptions>>['options'] | undefined;

  constructor() {
    super();
    this.step = 'username';
    this.error = '';
    this.codeNumber = null;
  }

  protected override createRenderRoot() {
    return this;
  }

  private async submitUsername(event: SubmitEvent) {
    event.preventDefault();
    const username = (
      (event.target as HTMLFormElement).elements.namedItem('username') as HTMLInputElement
    ).value;
    this.error = '';
    try {
      this.attempt = await startAttempt('unlock');
      const result = await unlockOptions(this.attempt, username);
      this.options = result.options;
      this.codeNumber = result.recoveryCodeNumber;
      this.step = 'proof';
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  private async submitProof(event: SubmitEvent) {
    event.preventDefault();
    const code = (
      (event.target as HTMLFormElement).elements.namedItem('recovery-code') as HTMLInputElement
    ).value;
    if (!this.options) return;
    this.error = '';
    this.step = 'key';
    try {
      const response = await useKeyCredential(this.options);
      await unlockFinish(this.attempt, response, code);
      this.step = 'done';
    } catch (error) {
      this.error = messageOf(error);
      this.step = 'username';
    }
  }

  override render() {
    return html`<main class="auth-page">
      <h1>Unlock your account</h1>
      ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
      ${
        this.step === 'username'
          ? html`<form class="auth-form" @submit=${this.submitUsername} novalidate>
            <p>After too many failed sign-ins, an account is locked. Unlock it with your security
              key and one of your recovery codes.</p>
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" required spellcheck="false"
              autocapitalize="off" />
            <button type="submit" class="primary">Continue</button>
          </form>`
          : ''
      }
      ${
        this.step === 'proof' || this.step === 'key'
          ? html`<form class="auth-form" @submit=${this.submitProof} novalidate>
            <label for="recovery-code">Recovery code #${this.codeNumber}</label>
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
