import { html, LitElement } from 'lit';
import { isInAppLink, matchRoute, type PageName, type Route } from './router.js';
import { type AppServices, appServicesContext } from './services/app-services.js';
import { navigate } from './services/navigation.js';
import './components/app-nav.js';
import './pages/landing-page.js';
import './pages/not-found-page.js';
import './styles/auth.css';

/**
 * Every page but the landing and not-found pages is its own chunk, loaded when its route is
 * first shown: a first visit carries only the landing page. The shell renders the page's tag at
 * once; the element upgrades when its module has defined it.
 */
const pageModules: Partial<Record<PageName, () => Promise<unknown>>> = {
  signup: () => import('./pages/signup-page.js'),
  signin: () => import('./pages/signin-page.js'),
  recover: () => import('./pages/recover-page.js'),
  unlock: () => import('./pages/unlock-page.js'),
  account: () => import('./pages/account-page.js'),
  home: () => import('./pages/home-page.js'),
  chat: () => import('./pages/chat-page.js'),
};

/**
 * <parley-app>: the application shell. It owns the URL and renders the page it names, and
 * provides the services main.ts built to every page under it (a Lit context). main.ts defines
 * the element, with the services.
 */
export class ParleyApp extends LitElement {
  static override properties = { route: { state: true }, failedPage: { state: true } };
  declare route: Route;
  /** A page whose module could not be loaded (offline, or a deployment replaced it). */
  declare failedPage: PageName | undefined;

  /**
   * Light DOM: the auth pages render real <form>s that password managers must see, and they
   * take their styles from the document (styles/auth.css, which also sizes <parley-app>).
   */
  protected override createRenderRoot() {
    return this;
  }

  constructor(private readonly services: AppServices) {
    super();
    // The provider's side of the context protocol, for a value that never changes: every
    // page's ContextConsumer asks with a bubbling context-request event, answered at once.
    // (Lit's ContextProvider also tracks subscribers for values that change: +0.6 KB gzip on
    // the landing page for nothing here.)
    this.addEventListener('context-request', (event) => {
      if (event.context !== appServicesContext) return;
      event.stopPropagation();
      event.callback(services);
    });
    this.route = matchRoute(window.location.pathname);
    this.failedPage = undefined;
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

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('route') && changed.get('route') !== undefined) void this.focusHeading();
  }

  /**
   * After a route change, focus moves to the new page's main heading (so a screen reader says
   * where the user is), once the page has rendered it, unless the user already focused
   * something. Bounded: about 3 s of 50 ms looks.
   */
  private async focusHeading() {
    const route = this.route;
    for (let i = 0; i < 60 && this.route === route; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const active = document.activeElement;
      if (
        active &&
        active !== document.body &&
        this.contains(active) &&
        active.tagName !== 'BUTTON' &&
        active.tagName !== 'A'
      )
        return;
      const heading = this.querySelector<HTMLElement>('main h1');
      if (heading) {
        heading.tabIndex = -1;
        heading.focus();
        return;
      }
    }
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (!changed.has('route')) return;
    const page = this.route.page;
    this.failedPage = undefined;
    pageModules[page]?.().catch(() => {
      if (this.route.page === page) this.failedPage = page;
    });
    // The chat's services are a chunk of their own: fetched beside the page's, not after it.
    if (page === 'chat') this.services.loadChat().catch(() => undefined);
  }

  private async signOut() {
    await this.services.session.signOut().catch(() => undefined);
    navigate('/signin');
  }

  override render() {
    if (this.failedPage) {
      return html`<main class="auth-page"><p class="form-error" role="alert">This page could not be
        loaded. Check your connection and reload.</p></main>`;
    }
    const page = this.renderPage();
    const signedIn = this.route.page === 'home' || this.route.page === 'account';
    return signedIn
      ? html`<parley-app-nav .current=${this.route.page} @sign-out=${() => this.signOut()}></parley-app-nav>${page}`
      : page;
  }

  private renderPage() {
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
        return html`<parley-chat-page .peerName=${this.route.peer ?? ''}></parley-chat-page>`;
      default:
        return html`<parley-not-found-page .path=${this.route.path}></parley-not-found-page>`;
    }
  }
}
