import { html, LitElement } from 'lit';
import '../components/captcha-field.js';
import '../components/key-prompt.js';
import '../components/password-input.js';
import '../components/recovery-code-sheet.js';
import '../components/strength-meter.js';
import '../components/totp-enrol.js';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import type { CaptchaField } from '../components/captcha-field.js';
import type { PasswordInput } from '../components/password-input.js';
import type { TotpCodeEvent } from '../components/totp-enrol.js';
import { ApiError } from '../services/api.js';
import { appServicesOf } from '../services/app-services-of.js';
import {
  type RecoveryCode,
  signUpFinish,
  signUpKey,
  signUpKeyOptions,
  signUpPassword,
  signUpTotp,
  signUpTotpOptions,
  startAttempt,
  type TotpEnrolment,
} from '../services/auth.js';
import { navigate } from '../services/navigation.js';
import { createKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

type Step = 'form' | 'key' | 'app' | 'codes';
type FieldErrors = Partial<Record<'username' | 'password' | 'captcha' | 'form', string>>;

/**
 * <parley-signup-page>: username, password and CAPTCHA; then the second factor, a security key
 * or an authenticator app; then the recovery codes. The account exists only after the last step.
 */
export class SignupPage extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
  static override properties = {
    step: { state: true },
    attempt: { state: true },
    errors: { state: true },
    busy: { state: true },
    keyError: { state: true },
    codes: { state: true },
    password: { state: true },
    username: { state: true },
    enrolment: { state: true },
  };
  declare enrolment: TotpEnrolment | undefined;
  declare step: Step;
  declare attempt: string;
  declare errors: FieldErrors;
  declare busy: boolean;
  declare keyError: string;
  declare codes: RecoveryCode[];
  declare password: string;
  declare username: string;
  private options: PublicKeyCredentialCreationOptionsJSON | undefined;

  constructor() {
    super();
    this.step = 'form';
    this.attempt = '';
    this.errors = {};
    this.busy = false;
    this.keyError = '';
    this.codes = [];
    this.password = '';
    this.username = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.newAttempt();
  }

  private async newAttempt() {
    try {
      this.attempt = await startAttempt(this.services().api, 'signup');
      await this.updateComplete;
      await this.captcha?.refresh();
    } catch (error) {
      this.errors = { form: messageOf(error) };
    }
  }

  private get captcha(): CaptchaField | null {
    return this.querySelector('parley-captcha');
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const username = (form.elements.namedItem('username') as HTMLInputElement).value;
    const password = this.querySelector<PasswordInput>('parley-password-input')?.value ?? '';
    this.errors = {};
    this.busy = true;
    try {
      this.options = await signUpPassword(this.services().api, {
        attempt: this.attempt,
        username,
        password,
        captcha: this.captcha?.value ?? '',
      });
      this.username = username.trim();
      const factor = (form.elements.namedItem('factor') as RadioNodeList | null)?.value;
      if (factor === 'app') await this.chooseApp();
      else {
        this.step = 'key';
        await this.registerKey();
      }
    } catch (error) {
      await this.showFormError(error);
    } finally {
      this.busy = false;
    }
  }

  private async showFormError(error: unknown) {
    if (!(error instanceof ApiError)) {
      this.errors = { form: messageOf(error) };
      return;
    }
    const message = error.message;
    const field = error.field;
    if (field === 'captcha') {
      this.errors = { captcha: message };
      await this.captcha?.refresh();
    } else if (field) this.errors = { [field]: message };
    else if (error.outcome === 'attempt-ended') {
      this.errors = { form: 'The sign-up took too long. Here is a new picture: try again.' };
      await this.newAttempt();
    } else this.errors = { form: message };
    await this.updateComplete;
    this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  private async registerKey() {
    this.keyError = '';
    try {
      this.options ??= await signUpKeyOptions(this.services().api, this.attempt);
      const response = await createKeyCredential(this.options);
      this.options = undefined;
      const name =
        this.querySelector<HTMLInputElement>('#key-name')?.value.trim() || 'Security key';
      this.codes = await signUpKey(this.services().api, this.attempt, response, name);
      this.step = 'codes';
    } catch (error) {
      this.options = undefined;
      await this.factorError(error);
    }
  }

  private async chooseApp() {
    this.keyError = '';
    try {
      this.enrolment = await signUpTotpOptions(this.services().api, this.attempt);
      this.step = 'app';
    } catch (error) {
      if (this.step === 'form') this.errors = { form: messageOf(error) };
      else await this.factorError(error);
    }
  }

  private async confirmApp(code: string) {
    this.keyError = '';
    this.busy = true;
    try {
      this.codes = await signUpTotp(this.services().api, this.attempt, code);
      this.enrolment = undefined;
      this.step = 'codes';
    } catch (error) {
      await this.factorError(error);
    } finally {
      this.busy = false;
    }
  }

  private async factorError(error: unknown) {
    if (error instanceof ApiError && error.outcome === 'attempt-ended') {
      this.step = 'form';
      this.errors = { form: 'The sign-up took too long. Start again.' };
      await this.newAttempt();
      return;
    }
    this.keyError = messageOf(error);
  }

  private async finish() {
    this.busy = true;
    try {
      await signUpFinish(this.services().api, this.attempt);
      navigate('/home');
    } catch (error) {
      this.keyError = messageOf(error);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<main class="auth-page">
      <h1>Create your Parley account</h1>
      <ol class="steps" aria-label="Sign-up steps">
        <li aria-current=${this.step === 'form' ? 'step' : 'false'}>Password</li>
        <li aria-current=${this.step === 'key' || this.step === 'app' ? 'step' : 'false'}>Second factor</li>
        <li aria-current=${this.step === 'codes' ? 'step' : 'false'}>Recovery codes</li>
      </ol>
      ${this.step === 'form' ? this.renderForm() : ''}
      ${this.step === 'key' ? this.renderKey() : ''}
      ${this.step === 'app' ? this.renderApp() : ''}
      ${
        this.step === 'codes'
          ? html`<parley-recovery-codes .codes=${this.codes} .username=${this.username}
            ?busy=${this.busy} @codes-saved=${() => this.finish()}></parley-recovery-codes>
            ${this.keyError ? html`<p class="form-error" role="alert">${this.keyError}</p>` : ''}`
          : ''
      }
    </main>`;
  }

  private renderForm() {
    const e = this.errors;
    return html`
      <form class="auth-form" @submit=${this.submit} novalidate>
        ${e.form ? html`<p class="form-error" role="alert">${e.form}</p>` : ''}
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required minlength="3"
          maxlength="32" spellcheck="false" autocapitalize="off"
          aria-invalid=${e.username ? 'true' : 'false'}
          aria-describedby="username-help${e.username ? ' username-error' : ''}"
          @input=${(ev: Event) => {
            this.username = (ev.target as HTMLInputElement).value;
          }} />
        <p id="username-help" class="help">3–32 letters, digits, dots, hyphens or underscores. It cannot be changed later.</p>
        ${e.username ? html`<p id="username-error" class="field-error" role="alert">${e.username}</p>` : ''}
        <parley-password-input label="Password" input-id="new-password" autocomplete="new-password"
          described-by="password-help${e.password ? ' password-error' : ''}" ?invalid=${!!e.password}
          @password-input=${() => {
            this.password = this.querySelector<PasswordInput>('parley-password-input')?.value ?? '';
          }}></parley-password-input>
        <p id="password-help" class="help">At least 8 characters; any characters you like. A few unrelated words make a strong password.</p>
        <parley-strength-meter .password=${this.password} .userInputs=${[this.username]}></parley-strength-meter>
        ${e.password ? html`<p id="password-error" class="field-error" role="alert">${e.password}</p>` : ''}
        <fieldset class="factor-choice">
          <legend>Second factor</legend>
          <label><input type="radio" name="factor" value="key" checked /> A security key (such as a YubiKey)</label>
          <label><input type="radio" name="factor" value="app" /> An authenticator app on your phone</label>
          <p class="help">You can add the other one later on your account page.</p>
        </fieldset>
        <parley-captcha .attempt=${this.attempt} .error=${e.captcha ?? ''}></parley-captcha>
        <button type="submit" class="primary" ?disabled=${this.busy || !this.attempt}>
          ${this.busy ? 'Checking…' : 'Continue'}
        </button>
        <p class="alt">Already have an account? <a href="/signin">Sign in</a></p>
      </form>
    `;
  }

  private renderApp() {
    return html`
      <section aria-labelledby="app-title">
        <h2 id="app-title">Set up your authenticator app</h2>
        <parley-totp-enrol .uri=${this.enrolment?.uri ?? ''} .secret=${this.enrolment?.secret ?? ''}
          .error=${this.keyError} ?busy=${this.busy}
          @totp-code=${(e: TotpCodeEvent) => this.confirmApp(e.code)}></parley-totp-enrol>
        <p class="alt"><button type="button" class="link" @click=${() => {
          this.step = 'key';
          this.enrolment = undefined;
          void this.registerKey();
        }}>Use a security key instead</button></p>
      </section>
    `;
  }

  private renderKey() {
    return html`
      <section class="auth-form" aria-labelledby="key-title">
        <h2 id="key-title">Register your security key</h2>
        <p>Parley signs you in with your password <em>and</em> a security key, such as a YubiKey.</p>
        <label for="key-name">Name for this key (optional)</label>
        <input id="key-name" name="key-name" maxlength="64" placeholder="e.g. Blue YubiKey" />
        ${
          this.keyError
            ? html`<p class="form-error" role="alert">${this.keyError}</p>
              <button type="button" class="primary" @click=${() => this.registerKey()}>Try again</button>`
            : html`<parley-key-prompt></parley-key-prompt>`
        }
      </section>
    `;
  }
}

customElements.define('parley-signup-page', SignupPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-signup-page': SignupPage;
  }
}
