import { html, LitElement } from 'lit';

/** The Sign out button: `sign-out`, for the app shell to end the session. */
export class SignOutEvent extends Event {
  static readonly type = 'sign-out';
  constructor() {
    super(SignOutEvent.type, { bubbles: true });
  }
}

/**
 * <parley-app-nav>: the navigation of every signed-in page: chats, account, sign out (it asks
 * with `sign-out`; the shell signs out).
 */
export class AppNav extends LitElement {
  static override properties = { current: { type: String } };
  declare current: string;

  constructor() {
    super();
    this.current = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  override render() {
    const here = (page: string) => (this.current === page ? 'page' : 'false');
    return html`<nav class="app-nav" aria-label="Parley">
      <a href="/home" class="app-nav-brand">Parley</a>
      <a href="/chat" aria-current=${here('chat')}>Chats</a>
      <a href="/account" aria-current=${here('account')}>Account</a>
      <button type="button" class="link" @click=${() => this.dispatchEvent(new SignOutEvent())}>Sign out</button>
    </nav>`;
  }
}

customElements.define('parley-app-nav', AppNav);

declare global {
  interface HTMLElementTagNameMap {
    'parley-app-nav': AppNav;
  }
  interface HTMLElementEventMap {
    'sign-out': SignOutEvent;
  }
}
