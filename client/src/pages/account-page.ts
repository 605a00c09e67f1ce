import { html, LitElement } from 'lit';
import '../components/key-prompt.js';
import '../components/password-input.js';
import '../components/recovery-code-sheet.js';
import '../components/strength-meter.js';
import '../components/totp-enrol.js';
import '../components/session-list.js';
import type { PasswordInput } from '../components/password-input.js';
import type { EndSessionEvent } from '../components/session-list.js';
import type { TotpCodeEvent } from '../components/totp-enrol.js';
import { ApiError } from '../services/api.js';
import { appServicesOf } from '../services/app-services-of.js';
import {
  type AccountInfo,
  accountInfo,
  bindKey,
  bindTotp,
  changePassword,
  currentSession,
  endSession,
  type ListedSession,
  listSessions,
  newKeyOptions,
  newTotpOptions,
  type RecoveryCode,
  reauthenticate,
  regenerateCodes,
  removeKey,
  removeTotp,
  renameKey,
  type SessionInfo,
  signOut,
  type TotpEnrolment,
} from '../services/auth.js';
import { navigate } from '../services/navigation.js';
import { createKeyCredential } from '../services/security-key.js';
import { messageOf } from './message-of.js';

const EVENT_LABELS: Record<string, string> = {
  account_created: 'Account created',
  sign_in: 'Signed in',
  sign_in_failed: 'Failed sign-in',
  sign_in_with_recovery_code: 'Signed in with a recovery code',
  recovery_code_used: 'Recovery code used',
  recovery_codes_issued: 'New recovery codes',
  key_bound: 'Security key added',
  key_revoked: 'Security key removed',
  key_renamed: 'Security key renamed',
  totp_bound: 'Authenticator app added',
  totp_revoked: 'Authenticator app removed',
  session_ended: 'Session signed out',
  account_locked: 'Account locked',
  account_unlocked: 'Account unlocked',
  unlock_failed: 'Failed unlock',
  password_changed: 'Password changed',
  password_compromised: 'Password found in a breach',
  reauthenticated: 'Password confirmed',
  signed_out: 'Signed out',
  signed_out_everywhere: 'Signed out everywhere',
};

/**
 * <parley-account-page>: keys (add, remove), recovery codes (new set), password change,
 * sign out here or everywhere, and the account's security log.
 */
function bringIntoFocus(element: HTMLElement | null) {
  element?.scrollIntoView({ block: 'center' });
  element?.focus();
}

/** What the confirmation box asks before an action that cannot be undone. */
interface Confirmation {
  title: string;
  body: string;
  /** The confirming button's label. */
  yes: string;
  action: () => Promise<void>;
}

export class AccountPage extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
  static override properties = {
    session: { state: true },
    account: { state: true },
    error: { state: true },
    notice: { state: true },
    codes: { state: true },
    waitingForKey: { state: true },
    reauthFor: { state: true },
    newPassword: { state: true },
    confirming: { state: true },
    renaming: { state: true },
    enrolment: { state: true },
    enrolError: { state: true },
    sessions: { state: true },
  };
  declare sessions: ListedSession[];
  /** An action that cannot be undone, waiting for the user's confirmation. */
  declare confirming: Confirmation | undefined;
  /** The key being renamed, if any. */
  declare renaming: number | undefined;
  declare enrolment: (TotpEnrolment & { attempt: string }) | undefined;
  declare enrolError: string;
  declare session: SessionInfo | undefined;
  declare account: AccountInfo | undefined;
  declare error: string;
  declare notice: string;
  declare codes: RecoveryCode[];
  declare waitingForKey: boolean;
  /** The action waiting for a password confirmation, if any. */
  declare reauthFor: (() => Promise<void>) | undefined;
  declare newPassword: string;

  constructor() {
    super();
    this.session = undefined;
    this.account = undefined;
    this.error = '';
    this.notice = '';
    this.codes = [];
    this.waitingForKey = false;
    this.reauthFor = undefined;
    this.newPassword = '';
    this.confirming = undefined;
    this.renaming = undefined;
    this.enrolment = undefined;
    this.enrolError = '';
    this.sessions = [];
  }

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.session = await currentSession(this.services().api);
      if (!this.session) return navigate('/signin');
      if (this.session.kind === 'rebind') return navigate('/recover');
      this.account = await accountInfo(this.services().api);
      if (this.session.kind === 'full') this.sessions = await listSessions(this.services().api);
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  private async endOtherSession(id: string) {
    await this.guarded(async () => {
      await endSession(this.services().api, id);
      this.notice = 'That session is signed out.';
      this.sessions = await listSessions(this.services().api);
    });
  }

  /** Runs an action; when the server wants a fresh password first, asks for it and retries. */
  private async guarded(action: () => Promise<void>) {
    this.error = '';
    this.notice = '';
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError && error.outcome === 'reauth') {
        this.reauthFor = action;
        return;
      }
      if (error instanceof ApiError && error.outcome === 'signed-out') return navigate('/signin');
      this.error = messageOf(error);
    } finally {
      this.waitingForKey = false;
    }
  }

  private async confirmPassword(event: SubmitEvent) {
    event.preventDefault();
    const password =
      this.querySelector<PasswordInput>('#reauth parley-password-input')?.value ?? '';
    const action = this.reauthFor;
    try {
      await reauthenticate(this.services().api, password);
      this.reauthFor = undefined;
      if (action) await this.guarded(action);
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  private addKey = async () => {
    const name =
      this.querySelector<HTMLInputElement>('#new-key-name')?.value.trim() || 'Security key';
    const { attempt, options } = await newKeyOptions(this.services().api);
    this.waitingForKey = true;
    const response = await createKeyCredential(options);
    await bindKey(this.services().api, attempt, response, name);
    this.notice = `The key “${name}” is registered.`;
    this.account = await accountInfo(this.services().api);
  };

  /** Removing a factor: confirmed first; the server then wants a very recent password. */
  private askRemoval(label: string, action: () => Promise<void>) {
    this.ask({
      title: `Remove ${label}?`,
      body: 'It will no longer sign you in. You may be asked for your password first.',
      yes: 'Yes, remove it',
      action,
    });
  }

  private ask(confirmation: Confirmation) {
    this.error = '';
    this.notice = '';
    this.confirming = confirmation;
  }

  /**
   * The confirmation and the password prompt render at the top of a long page: bring the one
   * that just opened into view and put the focus in it (a click further down used to open it
   * off screen, leaving the focus on the button that opened it).
   */
  protected override updated(changed: Map<PropertyKey, unknown>) {
    super.updated(changed);
    if (changed.has('confirming') && this.confirming) {
      bringIntoFocus(this.querySelector<HTMLElement>('.confirm-box button.primary'));
    }
    if (changed.has('reauthFor') && this.reauthFor) {
      // The field is the password element's own render, which follows this one.
      const field = this.querySelector<PasswordInput>('#reauth parley-password-input');
      void field?.updateComplete.then(() =>
        bringIntoFocus(this.querySelector<HTMLElement>('#reauth-password')),
      );
    }
  }

  private async confirmAction() {
    const pending = this.confirming;
    this.confirming = undefined;
    if (pending) await this.guarded(pending.action);
  }

  private removeKeyById(id: number, name: string) {
    this.askRemoval(`the security key “${name}”`, async () => {
      await removeKey(this.services().api, id);
      this.notice = `The key “${name}” was removed. It can no longer sign in.`;
      this.account = await accountInfo(this.services().api);
    });
  }

  private removeApp() {
    this.askRemoval('your authenticator app', async () => {
      await removeTotp(this.services().api);
      this.notice = 'The authenticator app was removed. Its codes no longer sign in.';
      this.account = await accountInfo(this.services().api);
    });
  }

  private async submitRename(event: SubmitEvent, id: number) {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('key-rename');
    const name = (input as HTMLInputElement).value.trim();
    await this.guarded(async () => {
      await renameKey(this.services().api, id, name);
      this.renaming = undefined;
      this.notice = `The key is now called “${name}”.`;
      this.account = await accountInfo(this.services().api);
    });
  }

  private startApp = async () => {
    this.enrolError = '';
    this.enrolment = await newTotpOptions(this.services().api);
  };

  private async confirmApp(code: string) {
    if (!this.enrolment) return;
    this.enrolError = '';
    try {
      await bindTotp(this.services().api, this.enrolment.attempt, code);
      this.enrolment = undefined;
      this.notice = 'Your authenticator app is set up. Its codes now sign you in.';
      this.account = await accountInfo(this.services().api);
    } catch (error) {
      this.enrolError = messageOf(error);
    }
  }

  private newCodes = async () => {
    this.codes = await regenerateCodes(this.services().api);
    this.account = await accountInfo(this.services().api);
  };

  private async submitPasswordChange(event: SubmitEvent) {
    event.preventDefault();
    const current = this.querySelector<PasswordInput>('#change-current')?.value ?? '';
    const next = this.querySelector<PasswordInput>('#change-new')?.value ?? '';
    await this.guarded(async () => {
      this.session = await changePassword(this.services().api, current, next);
      (event.target as HTMLFormElement).reset();
      this.newPassword = '';
      this.notice = 'Your password is changed. Your other sessions were signed out.';
      this.account = await accountInfo(this.services().api);
    });
  }

  private async leave(everywhere: true) {
    await this.guarded(async () => {
      await signOut(this.services().api, everywhere);
      navigate('/signin');
    });
  }

  override render() {
    const account = this.account;
    const mustChange = this.session?.kind === 'password_change';
    return html`<main class="auth-page wide">
      <h1>Your account</h1>
      ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
      ${this.notice ? html`<p class="notice-box" role="status">${this.notice}</p>` : ''}
      ${this.confirming ? this.renderConfirm(this.confirming) : ''}
      ${this.reauthFor ? this.renderReauth() : ''}
      ${
        mustChange
          ? html`<p class="form-error" role="alert">Your password appears in a list of breached
            passwords. Choose a new one to continue using Parley.</p>`
          : ''
      }
      ${account && !mustChange ? this.renderDetails(account) : ''}
      ${account ? this.renderPasswordChange() : ''}
      ${
        this.sessions.length > 0
          ? html`<section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">Signed-in sessions</h2>
            <parley-session-list .sessions=${this.sessions}
              @end-session=${(e: EndSessionEvent) => this.endOtherSession(e.sessionId)}></parley-session-list>
          </section>`
          : ''
      }
      ${
        mustChange
          ? ''
          : html`<section class="card">
            <h2>Sign out everywhere</h2>
            <p class="help">Ends every session of your account, this one included. To end this
              session only, use Sign out at the top.</p>
            <button type="button" class="secondary" @click=${() => this.leave(true)}>
              Sign out everywhere</button>
          </section>`
      }
      ${account && !mustChange ? this.renderEvents(account) : ''}
    </main>`;
  }

  private renderReauth() {
    return html`<form id="reauth" class="card auth-form" @submit=${this.confirmPassword} novalidate>
      <h2>Confirm your password</h2>
      <p>For your safety, confirm your password before changing your second factors or codes.</p>
      <input type="text" name="username" autocomplete="username" hidden .value=${this.session?.username ?? ''} />
      <parley-password-input label="Password" input-id="reauth-password" autocomplete="current-password">
      </parley-password-input>
      <div class="actions">
        <button type="submit" class="primary">Confirm</button>
        <button type="button" class="secondary" @click=${() => {
          this.reauthFor = undefined;
        }}>Cancel</button>
      </div>
    </form>`;
  }

  private renderConfirm(confirmation: Confirmation) {
    return html`<section class="card confirm-box" role="alertdialog" aria-labelledby="confirm-title">
      <h2 id="confirm-title">${confirmation.title}</h2>
      <p>${confirmation.body}</p>
      <div class="actions">
        <button type="button" class="primary" @click=${() => this.confirmAction()}>${confirmation.yes}</button>
        <button type="button" class="secondary" @click=${() => {
          this.confirming = undefined;
        }}>Cancel</button>
      </div>
    </section>`;
  }

  private renderApp(account: AccountInfo, factors: number) {
    const app = account.totp;
    return html`<section class="card" aria-labelledby="app-title">
      <h2 id="app-title">Authenticator app</h2>
      ${
        app
          ? html`<p>Set up ${formatDate(app.createdAt)}${app.lastUsedAt ? `, last used ${formatDate(app.lastUsedAt)}` : ''}.</p>
            ${
              factors > 1
                ? html`<button type="button" class="secondary" @click=${() => this.removeApp()}>
                  Remove the authenticator app</button>`
                : html`<p class="help">It is your only second factor: add a security key before removing it.</p>`
            }`
          : this.enrolment
            ? html`<parley-totp-enrol .uri=${this.enrolment.uri} .secret=${this.enrolment.secret}
                .error=${this.enrolError}
                @totp-code=${(e: TotpCodeEvent) => this.confirmApp(e.code)}></parley-totp-enrol>`
            : html`<p>Sign in with a 6-digit code from an app on your phone instead of (or besides) a key.</p>
              <button type="button" class="secondary" @click=${() => this.guarded(this.startApp)}>
                Set up an authenticator app</button>`
      }
    </section>`;
  }

  private renderKeyEntry(key: AccountInfo['keys'][number], removable: boolean) {
    const storage =
      key.storage === 'synced'
        ? 'synced passkey'
        : key.storage === 'device-bound'
          ? 'device-bound'
          : 'storage unknown';
    return html`<li class=${key.revokedAt ? 'revoked' : ''}>
      <span class="key-name">${key.name}</span>
      <span class="key-storage">${storage}</span>
      <span class="help">added ${formatDate(key.createdAt)}${key.lastUsedAt ? `, last used ${formatDate(key.lastUsedAt)}` : ''}${key.revokedAt ? `, removed ${formatDate(key.revokedAt)}` : ''}</span>
      ${
        key.revokedAt
          ? ''
          : this.renaming === key.id
            ? html`<form class="rename" @submit=${(e: SubmitEvent) => this.submitRename(e, key.id)} novalidate>
                <label for="key-rename">New name</label>
                <input id="key-rename" name="key-rename" maxlength="64" required .value=${key.name} />
                <button type="submit" class="primary">Save</button>
                <button type="button" class="secondary" @click=${() => {
                  this.renaming = undefined;
                }}>Cancel</button>
              </form>`
            : html`<button type="button" class="secondary" aria-label=${`Rename ${key.name}`}
                @click=${() => {
                  this.renaming = key.id;
                }}>Rename</button>
              ${
                removable
                  ? html`<button type="button" class="secondary" aria-label=${`Remove ${key.name}`}
                    @click=${() => this.removeKeyById(key.id, key.name)}>Remove</button>`
                  : ''
              }`
      }
    </li>`;
  }

  private renderDetails(account: AccountInfo) {
    const active = account.keys.filter((k) => !k.revokedAt);
    const factors = active.length + (account.totp ? 1 : 0);
    return html`
      <p>Signed in as <strong>${account.username}</strong>.</p>
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Security keys</h2>
        <ul class="key-list">
          ${account.keys.map((key) => this.renderKeyEntry(key, factors > 1))}
        </ul>
        <p class="help">Register a second key and keep it somewhere safe: it signs you in if you lose the first.</p>
        <label for="new-key-name">Name for a new key (optional)</label>
        <input id="new-key-name" maxlength="64" placeholder="e.g. Spare YubiKey" />
        ${
          this.waitingForKey
            ? html`<parley-key-prompt></parley-key-prompt>`
            : html`<button type="button" class="primary" @click=${() => this.guarded(this.addKey)}>
              Add a security key</button>`
        }
      </section>
      ${this.renderApp(account, factors)}
      <section class="card" aria-labelledby="codes-title-account">
        <h2 id="codes-title-account">Recovery codes</h2>
        <p>${account.recoveryCodesLeft} of 10 unused.</p>
        ${
          this.codes.length > 0
            ? html`<parley-recovery-codes .codes=${this.codes} .username=${account.username}
              @codes-saved=${() => {
                this.codes = [];
              }}></parley-recovery-codes>`
            : html`<button type="button" class="secondary" @click=${() =>
                this.ask({
                  title: 'Make new recovery codes?',
                  body: `Your ${account.recoveryCodesLeft} unused codes stop working at once, wherever you saved them. You may be asked for your password first.`,
                  yes: 'Yes, make new codes',
                  action: this.newCodes,
                })}>
              Make new recovery codes</button>
            <p class="help">New codes replace the old ones, which stop working.</p>`
        }
      </section>
    `;
  }

  private renderPasswordChange() {
    return html`<form class="card auth-form" @submit=${this.submitPasswordChange} novalidate>
      <h2>Change password</h2>
      <input type="text" name="username" autocomplete="username" hidden .value=${this.account?.username ?? ''} />
      <parley-password-input id="change-current" label="Current password" input-id="current-password"
        autocomplete="current-password"></parley-password-input>
      <parley-password-input id="change-new" label="New password" input-id="new-password"
        autocomplete="new-password" @password-input=${() => {
          this.newPassword = this.querySelector<PasswordInput>('#change-new')?.value ?? '';
        }}></parley-password-input>
      <parley-strength-meter .password=${this.newPassword} .userInputs=${[this.account?.username ?? '']}>
      </parley-strength-meter>
      <button type="submit" class="primary">Change password</button>
    </form>`;
  }

  private renderEvents(account: AccountInfo) {
    return html`<section class="card" aria-labelledby="events-title">
      <h2 id="events-title">Security log</h2>
      <ul class="event-list">
        ${account.events.map(
          (
            e,
          ) => html`<li><span>${EVENT_LABELS[e.type] ?? e.type}${e.detail ? ` (${e.detail})` : ''}</span>
            <span class="help">${formatDate(e.at)} · ${e.ip}</span></li>`,
        )}
      </ul>
    </section>`;
  }
}

function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

customElements.define('parley-account-page', AccountPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-account-page': AccountPage;
  }
}
