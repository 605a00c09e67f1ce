import { html, LitElement } from 'lit';
import type { ListedSession } from '../services/auth.js';

/** "Chrome on Linux" from a user-agent string: the few browsers and systems people use. */
export function describeBrowser(userAgent: string): string {
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\/|Chromium\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'Unknown browser';
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : '';
  return system ? `${browser} on ${system}` : browser;
}

/** "Sign out this session" on another session: `end-session`, with the session's id. */
export class EndSessionEvent extends Event {
  static readonly type = 'end-session';
  constructor(readonly sessionId: string) {
    super(EndSessionEvent.type, { bubbles: true, composed: true });
  }
}

/**
 * <parley-session-list>: the account's signed-in sessions (browser, address, last active), this
 * one marked; each other one has "Sign out this session" (event `end-session` with its id).
 */
export class SessionList extends LitElement {
  static override properties = { sessions: { attribute: false } };
  declare sessions: ListedSession[];

  constructor() {
    super();
    this.sessions = [];
  }

  protected override createRenderRoot() {
    return this;
  }

  override render() {
    return html`<ul class="session-list">
      ${this.sessions.map(
        (s) => html`<li class=${s.current ? 'current' : ''}>
          <span class="session-browser">${describeBrowser(s.userAgent)}</span>
          ${s.current ? html`<strong class="this-session">This session</strong>` : ''}
          <span class="help">${s.ip} · last active ${formatDate(s.lastActiveAt)}</span>
          ${
            s.current
              ? ''
              : html`<button type="button" class="secondary"
                  aria-label=${`Sign out the session of ${describeBrowser(s.userAgent)} at ${s.ip}`}
                  @click=${() => this.dispatchEvent(new EndSessionEvent(s.id))}>Sign out this session</button>`
          }
        </li>`,
      )}
    </ul>`;
  }
}

function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

customElements.define('parley-session-list', SessionList);

declare global {
  interface HTMLElementTagNameMap {
    'parley-session-list': SessionList;
  }
  interface HTMLElementEventMap {
    'end-session': EndSessionEvent;
  }
}
