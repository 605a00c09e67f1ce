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
  /** On the chat page: the username of the conversation the address opens (/chat/<username>). */
  peer?: string;
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

/** /chat/<username>: one path segment, percent-decoded; a malformed escape is not a route. */
const CHAT_PEER = /^\/chat\/([^/]+)$/;

export function matchRoute(path: string): Route {
  const normalized = path.replace(/\/+$/, '') || '/';
  const peer = CHAT_PEER.exec(normalized)?.[1];
  if (peer !== undefined) {
    try {
      return { page: 'chat', path: normalized, peer: decodeURIComponent(peer) };
    } catch {
      return { page: 'not-found', path: normalized };
    }
  }
  return { page: pages[normalized] ?? 'not-found', path: normalized };
}

/** The address of the conversation with `username`. */
export function chatPath(username: string): string {
  return `/chat/${encodeURIComponent(username)}`;
}

/** True when a click on this URL should be handled by the router rather than the browser. */
export function isInAppLink(url: URL, currentOrigin: string): boolean {
  return url.origin === currentOrigin && !url.pathname.startsWith('/api/');
}
