import { html, LitElement } from 'lit';
import { appServicesOf } from '../services/app-services-of.js';
import { currentSession, type SessionInfo } from '../services/auth.js';
import { navigate } from '../services/navigation.js';

/**
 * <parley-home-page>: where a signed-in user lands: who is signed in, the way to the chat and
 * to the account.
 */
export class HomePage extends LitElement {
  /** The app's services (main.ts builds them; the app shell provides them). */
  private readonly services = appServicesOf(this);
  static override properties = { session: { state: true } };
  declare session: SessionInfo | undefined;

  constructor() {
    super();
    this.session = undefined;
  }

  protected override createRenderRoot() {
    return this;
  }

  override async connectedCallback() {
    super.connectedCallback();
    this.session = await currentSession(this.services().api).catch(() => undefined);
    if (!this.session) navigate('/signin');
    else if (this.session.kind === 'rebind') navigate('/recover');
    else if (this.session.kind === 'password_change') navigate('/account');
  }

  override render() {
    if (!this.session) return html`<main class="auth-page"><p role="status">Loading…</p></main>`;
    return html`<main class="auth-page">
      <h1>Welcome, ${this.session.username}</h1>
      <p class="notice-box" role="status">You are signed in with your password and second factor.</p>
      <div class="actions">
        <a class="button primary" href="/chat">Open your chats</a>
        <a class="button secondary" href="/account">Account and security keys</a>
      </div>
    </main>`;
  }
}

customElements.define('parley-home-page', HomePage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-home-page': HomePage;
  }
}
