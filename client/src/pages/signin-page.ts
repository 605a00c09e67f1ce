import { html, LitElement } from 'lit';
import '../components/captcha-field.js';
import '../components/key-prompt.js';
import '../components/password-input.js';
import type { CaptchaField } from '../components/captcha-field.js';
import type { PasswordInput } from '../components/password-input.js';
import { ApiError } from '../services/api.js';
import { appServicesOf } from '../services/app-services-of.js';
import {
  type SecondStep,
  type SessionInfo,
  signInKey,
  signInKeyOptions,
  signInPassword,
  signInRecoveryCode,
  signInTotp,
  startAttempt,
} from '../services/auth.js';
import { navigate } from '../services/navigation.js';
import { cancelKeyRequest, SecurityKeyError, useKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

type Step = 'password' | 'key' | 'totp' | 'code';

/** Where a new session goes first, by what it may do. */
function landingPathFor(session: SessionInfo): string {
  if (session.kind === 'rebind') return '/recover';
  if (session.kind === 'password_change') return '/account';
  return '/home';
}

/**
 * <parley-signin-page>: password (and a CAPTCHA after failures), then the security key or the
 * authenticator app's code, or one numbered recovery code when the factor is lost. A mistyped
 * recovery code keeps the code step, asking for another numbered code.
 */
export class SigninPage extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
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
    factors: { state: true },
    codeError: { state: true },
  };
  declare factors: SecondStep['factors'];
  declare codeError: string;
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
    this.factors = { key: true, totp: false };
    this.codeError = '';
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
      this.attempt = await startAttempt(this.services().api, 'signin');
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
      const second = await signInPassword(this.services().api, {
        attempt: this.attempt,
        username,
        password,
        ...(this.captchaNeeded ? { captcha: this.captcha?.value ?? '' } : {}),
      });
      this.keyOptions = second.options;
      this.codeNumber = second.recoveryCodeNumber;
      this.factors = second.factors ?? { key: true, totp: false };
      this.codeError = '';
      if (this.factors.key) {
        this.step = 'key';
        await this.useKey();
      } else {
        this.step = 'totp';
      }
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
    if (error.field === 'captcha') {
      const wasShown = this.captchaNeeded;
      this.captchaNeeded = true;
      this.captchaError = wasShown ? error.message : '';
      if (!wasShown) this.error = 'Please also type the characters shown in the picture.';
      await this.updateComplete;
      await this.captcha?.refresh();
      return;
    }
    if (error.outcome === 'locked') this.locked = true;
    if (error.outcome === 'attempt-ended') await this.restart();
    if (error.details.captchaRequired === true && !this.captchaNeeded) {
      // This failure made the CAPTCHA required: show it now, not after a wasted try.
      this.captchaNeeded = true;
      await this.updateComplete;
      await this.captcha?.refresh();
    }
    this.error = error.message;
    await this.updateComplete;
    this.querySelector<HTMLElement>('.form-error')?.focus();
  }

  private async useKey() {
    this.keyError = '';
    try {
      const options =
        this.keyOptions ?? (await signInKeyOptions(this.services().api, this.attempt));
      this.keyOptions = undefined;
      const response = await useKeyCredential(options);
      this.done(await signInKey(this.services().api, this.attempt, response));
    } catch (error) {
      this.keyOptions = undefined;
      await this.secondFactorError(error);
    }
  }

  private async submitCode(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const code = form.elements.namedItem('recovery-code') as HTMLInputElement;
    this.busy = true;
    try {
      this.done(await signInRecoveryCode(this.services().api, this.attempt, code.value));
    } catch (error) {
      if (error instanceof ApiError && error.outcome === 'next-recovery-code') {
        // Still counted as a failure; the server gave a new attempt for another numbered code.
        this.attempt = String(error.details.attempt ?? '');
        this.codeNumber = Number(error.details.recoveryCodeNumber);
        this.codeError = error.message;
        form.reset();
        await this.updateComplete;
        this.querySelector<HTMLInputElement>('#recovery-code')?.focus();
        return;
      }
      await this.secondFactorError(error);
    } finally {
      this.busy = false;
    }
  }

  private async submitTotp(event: SubmitEvent) {
    event.preventDefault();
    const code = (event.target as HTMLFormElement).elements.namedItem(
      'totp-code',
    ) as HTMLInputElement;
    this.busy = true;
    try {
      this.done(await signInTotp(this.services().api, this.attempt, code.value));
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
    this.locked = error instanceof ApiError && error.outcome === 'locked';
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
      ${this.step === 'totp' ? this.renderTotp() : ''}
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
          this.factors.totp
            ? html`<p class="alt"><button type="button" class="link" @click=${() => {
                cancelKeyRequest();
                this.step = 'totp';
              }}>Use my authenticator app instead</button></p>`
            : ''
        }
        ${this.renderLostFactor('I lost my security key: use a recovery code')}
      </section>
    `;
  }

  private renderLostFactor(label: string) {
    return this.codeNumber
      ? html`<p class="alt"><button type="button" class="link" @click=${() => {
          cancelKeyRequest();
          this.step = 'code';
        }}>${label}</button></p>`
      : html`<p class="help">You have no recovery codes left. Without your second factor, an administrator must help.</p>`;
  }

  private renderTotp() {
    return html`
      <form class="auth-form" @submit=${this.submitTotp} novalidate>
        <h2>Type the code from your authenticator app</h2>
        <label for="totp-code">6-digit code</label>
        <input id="totp-code" name="totp-code" inputmode="numeric" autocomplete="one-time-code"
          pattern="[0-9 ]*" maxlength="8" required spellcheck="false" />
        <button type="submit" class="primary" ?disabled=${this.busy}>Sign in</button>
        ${
          this.factors.key
            ? html`<p class="alt"><button type="button" class="link" @click=${() => {
                this.step = 'key';
                void this.useKey();
              }}>Use my security key instead</button></p>`
            : ''
        }
        ${this.renderLostFactor('I lost my authenticator app: use a recovery code')}
      </form>
    `;
  }

  private renderCode() {
    const number = this.codeNumber;
    return html`
      <form class="auth-form" @submit=${this.submitCode} novalidate>
        <h2>Use recovery code #${number}</h2>
        <p>Type the code with the number <strong>#${number}</strong> from your saved list. After
          signing in you will register a new security key or authenticator app.</p>
        ${this.codeError ? html`<p class="form-error" role="alert">${this.codeError}</p>` : ''}
        <label for="recovery-code">Recovery code #${number}</label>
        <input id="recovery-code" name="recovery-code" autocomplete="one-time-code" required
          spellcheck="false" autocapitalize="characters" placeholder="XXXX-XXXX-XXXX-XXXX" maxlength="40" />
        <button type="submit" class="primary" ?disabled=${this.busy}>Sign in</button>
      </form>
    `;
  }
}

customElements.define('parley-signin-page', SigninPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-signin-page': SigninPage;
  }
}
