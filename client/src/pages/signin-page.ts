import { html, LitElement } from 'lit';
import '../components/captcha-field.js';
import '../components/key-prompt.js';
import '../components/password-input.js';
import type { CaptchaField } from '../components/captcha-field.js';
import type { PasswordInput } from '../components/password-input.js';
import { ApiError } from '../services/api.js';
import {
  type SecondStep,
  type SessionInfo,
  signInKey,
  signInKeyOptions,
  signInPassword,
  signInRecoveryCode,
  startAttempt,
} from '../services/auth.js';
import { navigate } from '../services/navigation.js';
import { cancelKeyRequest, SecurityKeyError, useKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

type Step = 'password' | 'key' | 'code';

/** Where a new session goes first, by what it may do. */
function landingPathFor(session: SessionInfo): string {
  if (session.kind === 'rebind') return '/recover';
  if (session.kind === 'password_change') return '/account';
  return '/home';
}

/**
 * <parley-signin-page>: password (and a CAPTCHA after failures), then the security key, or
 * one numbered recovery code when the key is lost.
 */
export class SigninPage extends LitElement {
  static override properties = {
    step: { state: true },
    attempt: { state: true },
    error: { state: true },
    locked: { state: true },
    captchaNeeded: { state: true },
    captchaError: { state: true },
    busy: { state: true },
    codeNumber: { state: true },
    keyError: { state: true },
  };
  declare step: Step;
  declare attempt: string;
  declare error: string;
  declare locked: boolean;
  declare captchaNeeded: boolean;
  declare captchaError: string;
  declare busy: boolean;
  declare codeNumber: number | null;
  /** The key options of the password step's answer, used once. */
  private keyOptions: SecondStep['options'] | undefined;
  declare keyError: string;

  constructor() {
    super();
    this.step = 'password';
    this.attempt = '';
    this.error = '';
    this.locked = false;
    this.captchaNeeded = false;
    this.captchaError = '';
    this.busy = false;
    this.codeNumber = null;
    this.keyError = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.restart();
  }

  private async restart() {
    try {
      this.attempt = await startAttempt('signin');
      if (this.captchaNeeded) {
        await this.updateComplete;
        await this.captcha?.refresh();
      }
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  private get captcha(): CaptchaField | null {
    return this.querySelector('parley-captcha');
  }

  private async submitPassword(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const username = (form.elements.namedItem('username') as HTMLInputElement).value;
    const password = this.querySelector<PasswordInput>('parley-password-input')?.value ?? '';
    this.error = '';
    this.captchaError = '';
    this.locked = false;
    this.busy = true;
    try {
      const second = await signInPassword({
        attempt: this.attempt,
        username,
        password,
        ...(this.captchaNeeded ? { captcha: this.captcha?.value ?? '' } : {}),
      });
      this.keyOptions = second.options;
      this.codeNumber = second.recoveryCodeNumber;
      this.step = 'key';
      await this.useKey();
    } catch (error) {
      await this.showPasswordError(error);
    } finally {
      this.busy = false;
    }
  }

  private async showPasswordError(error: unknown) {
    if (!(error instanceof ApiError)) {
      this.error = messageOf(error);
      return;
    }
    if (error.code.startsWith('captcha_')) {
      const wasShown = this.captchaNeeded;
      this.captchaNeeded = true;
      this.captchaError = wasShown ? error.message : '';
      if (!wasShown) this.error = 'Please also type the characters shown in the picture.';
      await this.updateComplete;
      await this.captcha?.refresh();
      return;
    }
    if (error.code === 'account_locked') this.locked = true;
    if (error.code === 'attempt_expired') await this.restart();
    this.error = error.message;
    await this.updateComplete;
    this.querySelector<HTMLElement>('.form-error')?.focus();
  }

  private async useKey() {
    this.keyError = '';
    try {
      const options = this.keyOptions ?? (await signInKeyOptions(this.attempt));
      this.keyOptions = undefined;
      const response = await useKeyCredential(options);
      this.done(await signInKey(this.attempt, response));
    } catch (error) {
      this.keyOptions = undefined;
      await this.secondFactorError(error);
    }
  }

  private async submitCode(event: SubmitEvent) {
    event.preventDefault();
    const code = (event.target as HTMLFormElement).elements.namedItem(
      'recovery-code',
    ) as HTMLInputElement;
    this.busy = true;
    try {
      this.done(await signInRecoveryCode(this.attempt, code.value));
    } catch (error) {
      await this.secondFactorError(error);
    } finally {
      this.busy = false;
    }
  }

  private async secondFactorError(error: unknown) {
    if (error instanceof SecurityKeyError) {
      this.keyError = error.message;
      return;
    }
    // The server ends the attempt after a failed second factor: back to the password.
    this.step = 'password';
    this.codeNumber = null;
    this.locked = error instanceof ApiError && error.code === 'account_locked';
    this.error = messageOf(error);
    await this.restart();
  }

  private done(session: SessionInfo) {
    navigate(landingPathFor(session));
  }

  override render() {
    return html`<main class="auth-page">
      <h1>Sign in to Parley</h1>
      ${this.step === 'password' ? this.renderPassword() : ''}
      ${this.step === 'key' ? this.renderKey() : ''}
      ${this.step === 'code' ? this.renderCode() : ''}
    </main>`;
  }

  private renderPassword() {
    return html`
      <form class="auth-form" @submit=${this.submitPassword} novalidate>
        ${this.error ? html`<p class="form-error" role="alert" tabindex="-1">${this.error}</p>` : ''}
        ${
          this.locked
            ? html`<p class="help"><a href="/unlock">Unlock your account</a> with your security key and a recovery code.</p>`
            : ''
        }
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required spellcheck="false"
          autocapitalize="off" />
        <parley-password-input label="Password" input-id="current-password"
          autocomplete="current-password"></parley-password-input>
        ${
          this.captchaNeeded
            ? html`<parley-captcha .attempt=${this.attempt} .error=${this.captchaError}></parley-captcha>`
            : ''
        }
        <button type="submit" class="primary" ?disabled=${this.busy || !this.attempt}>
          ${this.busy ? 'Checking…' : 'Continue'}
        </button>
        <p class="alt">New here? <a href="/signup">Create an account</a></p>
      </form>
    `;
  }

  private renderKey() {
    const number = this.codeNumber;
    return html`
      <section class="auth-form" aria-labelledby="key-title">
        <h2 id="key-title">Use your security key</h2>
        ${
          this.keyError
            ? html`<p class="form-error" role="alert">${this.keyError}</p>
              <button type="button" class="primary" @click=${() => this.useKey()}>Try again</button>`
            : html`<parley-key-prompt></parley-key-prompt>`
        }
        ${
          number
            ? html`<p class="alt"><button type="button" class="link" @click=${() => {
                cancelKeyRequest();
                this.step = 'code';
              }}>I lost my security key: use a recovery code</button></p>`
            : html`<p class="help">You have no recovery codes left. Without your key, an administrator must help.</p>`
        }
      </section>
    `;
  }

  private renderCode() {
    const number = this.codeNumber;
    return html`
      <form class="auth-form" @submit=${this.submitCode} novalidate>
        <h2>Use recovery code #${number}</h2>
        <p>Type the code with the number <strong>#${number}</strong> from your saved list. After
          signing in you will register a new security key.</p>
        ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
        <label for="recovery-code">Recovery code #${number}</label>
        <input id="recovery-code" name="recovery-code" autocomplete="one-time-code" required
          spellcheck="false" autocapitalize="characters" placeholder="XXXX-XXXX-XXXX-XXXX" maxlength="40" />
        <button type="submit" class="primary" ?disabled=${this.busy}>Sign in</button>
      </form>
    `;
  }
}

customElements.define('parley-signin-page', SigninPage);
