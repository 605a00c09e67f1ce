/**
 * Client-side routes: a pure table from a URL path to the page that renders it. The app shell
 * owns the history integration; pages only link with ordinary <a href="/...">.
 */
export type PageName =
  | 'landing'
  | 'not-found'
  | 'signup'
  | 'signin'
  | 'recover'
  | 'unlock'
  | 'account'
  | 'home'
  | 'chat';

export interface Route {
  page: PageName;
  path: string;
}

const pages: Record<string, PageName> = {
  '/': 'landing',
  '/signup': 'signup',
  '/signin': 'signin',
  '/recover': 'recover',
  '/unlock': 'unlock',
  '/account': 'account',
  '/home': 'home',
  '/chat': 'chat',
};

export function matchRoute(path: string): Route {
  const normalized = path.replace(/\/+$/, '') || '/';
  return { page: pages[normalized] ?? 'not-found', path: normalized };
}

/** True when a click on this URL should be handled by the router rather than the browser. */
export function isInAppLink(url: URL, currentOrigin: string): boolean {
  return url.origin === currentOrigin && !url.pathname.startsWith('/api/');
}
