import { html, LitElement } from 'lit';
import '../components/key-prompt.js';
import '../components/recovery-code-sheet.js';
import '../components/totp-enrol.js';
import type { TotpCodeEvent } from '../components/totp-enrol.js';
import { appServicesOf } from '../services/app-services-of.js';
import {
  bindKey,
  bindTotp,
  currentSession,
  newKeyOptions,
  newTotpOptions,
  type RecoveryCode,
  type TotpEnrolment,
} from '../services/auth.js';
import { navigate } from '../services/navigation.js';
import { createKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

type Step = 'intro' | 'key' | 'app' | 'codes';

/**
 * <parley-recover-page>: after signing in with a recovery code, the only thing the session may
 * do is bind a new second factor, a security key or an authenticator app; then new recovery
 * codes are shown, and the lost factor can be removed on the account page.
 */
export class RecoverPage extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
  static override properties = {
    step: { state: true },
    error: { state: true },
    codes: { state: true },
    username: { state: true },
    enrolment: { state: true },
    busy: { state: true },
  };
  declare enrolment: (TotpEnrolment & { attempt: string }) | undefined;
  declare busy: boolean;
  declare step: Step;
  declare error: string;
  declare codes: RecoveryCode[];
  declare username: string;

  constructor() {
    super();
    this.step = 'intro';
    this.error = '';
    this.codes = [];
    this.username = '';
    this.enrolment = undefined;
    this.busy = false;
  }

  protected override createRenderRoot() {
    return this;
  }

  override async connectedCallback() {
    super.connectedCallback();
    const session = await currentSession(this.services().api).catch(() => undefined);
    if (!session) navigate('/signin');
    else if (session.kind !== 'rebind') navigate('/account');
    else this.username = session.username;
  }

  private async register(event: SubmitEvent) {
    event.preventDefault();
    const name =
      (
        (event.target as HTMLFormElement).elements.namedItem('key-name') as HTMLInputElement
      ).value.trim() || 'Security key';
    this.error = '';
    this.step = 'key';
    try {
      const { attempt, options } = await newKeyOptions(this.services().api);
      const response = await createKeyCredential(options);
      const result = await bindKey(this.services().api, attempt, response, name);
      this.codes = result.recoveryCodes ?? [];
      this.step = 'codes';
    } catch (error) {
      this.step = 'intro';
      this.error = messageOf(error);
    }
  }

  private async startApp() {
    this.error = '';
    try {
      this.enrolment = await newTotpOptions(this.services().api);
      this.step = 'app';
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  private async confirmApp(code: string) {
    if (!this.enrolment) return;
    this.error = '';
    this.busy = true;
    try {
      const result = await bindTotp(this.services().api, this.enrolment.attempt, code);
      this.codes = result.recoveryCodes ?? [];
      this.enrolment = undefined;
      this.step = 'codes';
    } catch (error) {
      this.error = messageOf(error);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<main class="auth-page">
      <h1>Set up a new second factor</h1>
      ${
        this.step === 'app'
          ? html`<section aria-labelledby="app-title">
            <h2 id="app-title">Set up your authenticator app</h2>
            <parley-totp-enrol .uri=${this.enrolment?.uri ?? ''} .secret=${this.enrolment?.secret ?? ''}
              .error=${this.error} ?busy=${this.busy}
              @totp-code=${(e: TotpCodeEvent) => this.confirmApp(e.code)}></parley-totp-enrol>
          </section>`
          : ''
      }
      ${
        this.step === 'app'
          ? ''
          : this.step === 'codes'
            ? html`<p class="notice-box" role="status">Your new second factor is set up. Your old recovery
              codes no longer work: here are new ones. Then remove the lost one from your account.</p>
            <parley-recovery-codes .codes=${this.codes} .username=${this.username}
              @codes-saved=${() => navigate('/account')}></parley-recovery-codes>`
            : html`<form class="auth-form" @submit=${this.register} novalidate>
            <p>You signed in with a recovery code. Register a new security key, or set up an
              authenticator app, to continue; you can then remove the lost one.</p>
            ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
            <label for="key-name">Name for the new key (optional)</label>
            <input id="key-name" name="key-name" maxlength="64" placeholder="e.g. Spare YubiKey" />
            ${
              this.step === 'key'
                ? html`<parley-key-prompt></parley-key-prompt>`
                : html`<button type="submit" class="primary">Register the new key</button>
                  <button type="button" class="secondary" @click=${() => this.startApp()}>
                    Set up an authenticator app instead</button>`
            }
          </form>`
      }
    </main>`;
  }
}

customElements.define('parley-recover-page', RecoverPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-recover-page': RecoverPage;
  }
}
