import { html, LitElement } from 'lit';
import { signOut } from '../services/auth.js';
import { navigate } from '../services/navigation.js';

/** <parley-app-nav>: the navigation of every signed-in page: chats, account, sign out. */
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
      <button type="button" class="link" @click=${async () => {
        await signOut().catch(() => undefined);
        navigate('/signin');
      }}>Sign out</button>
    </nav>`;
  }
}

customElements.define('parley-app-nav', AppNav);

declare global {
  interface HTMLElementTagNameMap {
    'parley-app-nav': AppNav;
  }
}
