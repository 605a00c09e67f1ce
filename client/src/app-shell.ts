import { html, LitElement } from 'lit';
import { isInAppLink, matchRoute, type Route } from './router.js';
import { navigate } from './services/navigation.js';
import './pages/landing-page.js';
import './pages/not-found-page.js';
import './pages/account-page.js';
import './pages/chat-page.js';
import './pages/home-page.js';
import './pages/recover-page.js';
import './pages/signin-page.js';
import './pages/signup-page.js';
import './pages/unlock-page.js';
import './styles/auth.css';

/** <parley-app>: the application shell. It owns the URL and renders the page it names. */
export class ParleyApp extends LitElement {
  static override properties = { route: { state: true } };
  declare route: Route;

  /**
   * Light DOM: the auth pages render real <form>s that password managers must see, and they
   * take their styles from the document (styles/auth.css, which also sizes <parley-app>).
   */
  protected override createRenderRoot() {
    return this;
  }

  constructor() {
    super();
    this.route = matchRoute(window.location.pathname);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
    document.addEventListener('click', this.onClick);
  }

  override disconnectedCallback(): void {
    window.removeEventListener('popstate', this.onPopState);
    document.removeEventListener('click', this.onClick);
    super.disconnectedCallback();
  }

  private onPopState = () => {
    this.route = matchRoute(window.location.pathname);
  };

  private onClick = (event: MouseEvent) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey
    )
      return;
    const anchor = event
      .composedPath()
      .find((node): node is HTMLAnchorElement => node instanceof HTMLAnchorElement);
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href);
    if (!isInAppLink(url, window.location.origin)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  };

  override render() {
    switch (this.route.page) {
      case 'landing':
        return html`<parley-landing-page></parley-landing-page>`;
      case 'signup':
        return html`<parley-signup-page></parley-signup-page>`;
      case 'signin':
        return html`<parley-signin-page></parley-signin-page>`;
      case 'recover':
        return html`<parley-recover-page></parley-recover-page>`;
      case 'unlock':
        return html`<parley-unlock-page></parley-unlock-page>`;
      case 'account':
        return html`<parley-account-page></parley-account-page>`;
      case 'home':
        return html`<parley-home-page></parley-home-page>`;
      case 'chat':
        return html`<parley-chat-page></parley-chat-page>`;
      default:
        return html`<parley-not-found-page .path=${this.route.path}></parley-not-found-page>`;
    }
  }
}

customElements.define('parley-app', ParleyApp);
