import { html, LitElement, nothing } from 'lit';
import type { ChatEntry } from '../services/timeline.js';

/** The warning the brief asks for when earlier messages cannot be decrypted here. */
export const UNDECRYPTABLE_WARNING =
  'This browser does not hold the keys for earlier messages — local storage was cleared or this is another browser.';

/**
 * What a key reset (a new exchange that replaced the keys, not a Refresh) means for the reader.
 * `mine`: this browser started the new exchange (its keys were lost or another browser had them).
 */
export function keysResetNotice(mine: boolean, peerName: string): string {
  return mine
    ? `Keys reset: this browser started a new key exchange with ${peerName}. Older messages can't be read in a browser that lost its keys.`
    : `Keys reset: ${peerName}'s keys were reset (a new key exchange). Older messages can't be read in that browser.`;
}

/** A refused text's Retry button: `chat-retry`, with the entry's key, for the page to send again. */
export class ChatRetryEvent extends Event {
  static readonly type = 'chat-retry';
  constructor(readonly key: string) {
    super(ChatRetryEvent.type, { bubbles: true });
  }
}

/**
 * One formatter for every entry: toLocaleTimeString with options builds a new one per call
 * (about 60 µs), and the whole list re-renders on every message.
 */
const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const time = (at: string) => timeFormat.format(new Date(at));

/**
 * <parley-chat-entries>: one conversation's history, oldest first. It only renders: every text
 * goes through Lit's escaping (never innerHTML), so a message is shown as text, whatever it holds.
 */
export class ChatEntries extends LitElement {
  static override properties = {
    entries: { attribute: false },
    peerName: { attribute: false },
  };
  declare entries: readonly ChatEntry[];
  declare peerName: string;

  constructor() {
    super();
    this.entries = [];
    this.peerName = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  private entry(entry: ChatEntry) {
    switch (entry.kind) {
      case 'text':
        return html`<li class="chat-bubble ${entry.mine ? 'mine' : 'theirs'}" data-state=${entry.state}
          data-receipt=${entry.receipt ?? nothing}>
          <span class="chat-text">${entry.text}</span>
          <span class="chat-meta">${time(entry.at)}${this.stateLabel(entry)}</span>${
            entry.mine && entry.state === 'failed'
              ? html` <button type="button" class="link chat-retry" @click=${() => this.retry(entry.key)}>Retry</button>`
              : nothing
          }
        </li>`;
      case 'keys-changed':
        return html`<li class="chat-system keys-changed">Keys changed
          <span class="chat-meta">by ${entry.mine ? 'you' : this.peerName} · ${time(entry.at)}</span></li>`;
      case 'keys-reset':
        return html`<li class="chat-system keys-reset">${keysResetNotice(entry.mine, this.peerName)}
          <span class="chat-meta">${time(entry.at)}</span></li>`;
      case 'undecryptable':
        return html`<li class="chat-bubble undecryptable ${entry.mine ? 'mine' : 'theirs'}">
          <span class="chat-text">Encrypted message: its keys are not in this browser</span>
          <span class="chat-meta">${time(entry.at)}</span>
        </li>`;
      case 'flagged':
        return html`<li class="chat-system flagged">
          ${
            entry.reason === 'replay'
              ? 'Rejected: a replayed or out-of-order message'
              : 'Rejected: a message that failed its integrity check'
          }
          <span class="chat-meta">${time(entry.at)}</span></li>`;
    }
  }

  /** Asks the page to send a refused text again. */
  private retry(key: string) {
    this.dispatchEvent(new ChatRetryEvent(key));
  }

  private stateLabel(entry: Extract<ChatEntry, { kind: 'text' }>) {
    if (!entry.mine) return nothing;
    if (entry.state === 'queued') return ' · waiting for keys…';
    if (entry.state === 'sending') return ' · sending…';
    if (entry.state === 'failed') return ` · not sent: ${entry.error ?? ''}`;
    if (entry.receipt === 'read') return ' · read';
    if (entry.receipt === 'delivered') return ' · delivered';
    return ' · sent';
  }

  /** The newest entry last scrolled into view. */
  private newestKey: string | undefined;
  /** The reader is at the bottom: a resize (layout settling, a phone's keyboard) keeps it there. */
  private pinned = true;
  private scroller: HTMLElement | null = null;
  private resizes: ResizeObserver | undefined;

  /** Where this element last scrolled to: the scroll event that follows is not the reader's. */
  private scrolledTo: number | undefined;

  private readonly onScroll = () => {
    const el = this.scroller;
    if (!el || el.scrollTop === this.scrolledTo) return;
    this.pinned = el.scrollHeight - el.clientHeight - el.scrollTop < 4;
  };

  private toBottom() {
    const el = this.scroller;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    this.scrolledTo = el.scrollTop;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.scroller = this.closest('.chat-scroll');
    this.scroller?.addEventListener('scroll', this.onScroll, { passive: true });
    this.resizes = new ResizeObserver(() => {
      if (this.pinned) this.toBottom();
    });
    if (this.scroller) this.resizes.observe(this.scroller);
    this.resizes.observe(this);
  }

  override disconnectedCallback(): void {
    this.scroller?.removeEventListener('scroll', this.onScroll);
    this.resizes?.disconnect();
    super.disconnectedCallback();
  }

  /**
   * Keeps the newest message in view: scrolls down when a newer entry arrives, not when an
   * entry's state changes or "Load earlier messages" adds older ones above (the reader is there).
   */
  protected override updated() {
    const newest = this.entries.at(-1)?.key;
    if (newest === this.newestKey) return;
    this.newestKey = newest;
    this.pinned = true;
    this.toBottom();
  }

  override render() {
    return this.entries.length === 0
      ? html`<p class="chat-empty">No messages yet. Say hello: keys are agreed when you send the first one.</p>`
      : html`<ol class="chat-log" aria-label="Messages">${this.entries.map((e) => this.entry(e))}</ol>`;
  }
}

customElements.define('parley-chat-entries', ChatEntries);

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat-entries': ChatEntries;
  }
  interface HTMLElementEventMap {
    'chat-retry': ChatRetryEvent;
  }
}
