import { html, LitElement, nothing } from 'lit';
import '../components/chat-composer.js';
import type { ChatSendEvent } from '../components/chat-composer.js';
import { type ChatRetryEvent, UNDECRYPTABLE_WARNING } from '../components/chat-entries.js';
import { chatPath } from '../router.js';
import { ApiError } from '../services/api.js';
import type { ChatServices } from '../services/app-services.js';
import { appServicesOf } from '../services/app-services-of.js';
import type { ConversationView } from '../services/chat.js';
import type { ChatUser } from '../services/chat-api.js';
import type { RelayStatus } from '../services/chat-relay.js';
import { newestId, previewOf, titleFor, unreadCount } from '../services/contact-list.js';
import { navigate } from '../services/navigation.js';
import '../styles/chat.css';

const STATUS_LABELS: Record<RelayStatus, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  offline: 'Reconnecting…',
  'signed-out': 'Your session ended. Sign in again to continue.',
};

/**
 * <parley-chat-page>: contacts on the left (find one by username), the open conversation on the
 * right with its history, a composer, the Refresh (new keys) button and the crypto log switch.
 * It takes its services from the composition root (the app shell's context: main.ts builds
 * them) and renders; the crypto lives in the protocol module.
 */
export class ChatPage extends LitElement {
  static override properties = {
    me: { state: true },
    contacts: { state: true },
    peer: { state: true },
    status: { state: true },
    searchMessage: { state: true },
    notice: { state: true },
    logOn: { state: true },
    revision: { state: true },
    loadError: { state: true },
    announcement: { state: true },
    peerName: { attribute: false },
    missing: { state: true },
  };
  /** The username the address names (/chat/<username>), or '' for the list alone. */
  declare peerName: string;
  /** The address names no one: the name shown on the "no such person" pane. */
  declare missing: string;
  /** What the polite live region says: the newest messages that arrived in the open conversation. */
  declare announcement: string;
  declare loadError: string;
  declare me: ChatUser | undefined;
  declare contacts: ChatUser[];
  declare peer: ChatUser | undefined;
  declare status: RelayStatus;
  declare searchMessage: string;
  declare notice: string;
  declare logOn: boolean;
  declare revision: number;

  private readonly services = appServicesOf(this);
  /** The signed-in user's chat (relay, chat service, notifier, log switch), while shown. */
  private chat: ChatServices | undefined;
  /** Stops the chat's services from opening once the page has left (disconnectedCallback). */
  private leave: (() => void) | undefined;
  private view: ConversationView | undefined;
  private stopView: (() => void) | undefined;
  /** Every listed conversation is followed (decrypted here) for its count, preview and order. */
  private watched = new Map<string, () => void>();
  /** The read marks (server's, moved up here), and the server's newest id, by peer id. */
  private lastRead = new Map<string, number>();
  private serverNewest = new Map<string, number>();
  private listInfo = new Map<string, { count: number; preview: string; activity: number }>();
  private readonly onVisibility = () => this.markSeen();
  /** The open conversation's entries already shown once loaded (never announced again). */
  private announced: Set<string> | undefined;

  constructor() {
    super();
    this.me = undefined;
    this.contacts = [];
    this.peer = undefined;
    this.status = 'connecting';
    this.searchMessage = '';
    this.notice = '';
    this.logOn = false;
    this.revision = 0;
    this.loadError = '';
    this.announcement = '';
    this.peerName = '';
    this.missing = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  override async connectedCallback() {
    super.connectedCallback();
    const services = this.services();
    // The chat's code loads while the session is checked.
    const loading = services.loadChat();
    const session = await services.session.current().catch(() => undefined);
    // Left meanwhile (another link followed): open nothing that disconnectedCallback has
    // already run for, or the socket and the retry timer would live on unseen.
    if (!this.isConnected) return;
    if (!session) return navigate('/signin');
    if (session.kind !== 'full') return navigate('/home');
    const left = new AbortController();
    this.leave = () => left.abort();
    let chat: ChatServices | undefined;
    try {
      chat = await (await loading).open(left.signal);
    } catch (error) {
      if (this.isConnected)
        this.loadError = error instanceof ApiError ? error.message : 'Parley cannot be reached.';
      return;
    }
    if (!chat) return;
    if (!this.isConnected) return chat.close();
    this.chat = chat;
    this.logOn = chat.cryptoLog.enabled();
    chat.relay.onStatus((status) => {
      // Each new attempt after a lost connection is still "Reconnecting…", not "Connecting…".
      if (status === 'connecting' && this.status === 'offline') return;
      this.status = status;
    });
    chat.chat.onActivity((peerId) => this.onActivity(peerId));
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('focus', this.onVisibility);
    chat.chat.onIncomingText((peerId, entry) => void this.onIncomingText(peerId, entry.text));
    this.me = chat.me;
    await this.loadContacts();
    await this.follow();
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('peerName') && this.chat && this.me) void this.follow();
  }

  /**
   * Opens the conversation the address names: a known contact at once, anyone else after an
   * exact look-up; a name nobody has gets the "no such person" pane. No name: no conversation.
   */
  private async follow() {
    const name = this.peerName;
    const same = (user: ChatUser) => user.username.toLowerCase() === name.toLowerCase();
    if (!name) return this.closeConversation();
    if (this.peer && same(this.peer)) return;
    let found = this.contacts.find(same);
    if (!found) {
      found = await this.chat?.api.findUser(name).catch(() => undefined);
      // The address moved on meanwhile: the newer call decides.
      if (name !== this.peerName) return;
    }
    if (!found || found.id === this.me?.id) {
      this.closeConversation();
      this.missing = name;
      return;
    }
    if (!this.contacts.some((c) => c.id === found.id)) this.contacts = [found, ...this.contacts];
    this.openConversation(found);
  }

  private closeConversation() {
    this.stopView?.();
    this.stopView = undefined;
    this.view = undefined;
    this.peer = undefined;
    this.missing = '';
    this.notice = '';
  }

  override disconnectedCallback() {
    this.leave?.();
    this.stopView?.();
    for (const stop of this.watched.values()) stop();
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('focus', this.onVisibility);
    document.title = 'Parley';
    // Texts still unacknowledged stay in the outbox; the next chat page takes them over.
    this.chat?.close();
    this.chat = undefined;
    super.disconnectedCallback();
  }

  private async loadContacts() {
    const summaries = (await this.chat?.api.listConversations().catch(() => [])) ?? [];
    const known = new Map(this.contacts.map((c) => [c.id, c]));
    for (const summary of summaries) {
      known.set(summary.peer.id, summary.peer);
      this.serverNewest.set(summary.peer.id, summary.lastMessageId);
      const mark = Math.max(this.lastRead.get(summary.peer.id) ?? 0, summary.lastReadId);
      this.lastRead.set(summary.peer.id, mark);
    }
    this.contacts = [...known.values()];
    for (const contact of this.contacts) this.watch(contact.id);
  }

  /** Follows a conversation for the list: its history is read and decrypted in this browser. */
  private watch(peerId: string) {
    if (!this.chat || this.watched.has(peerId)) return;
    const view = this.chat.chat.open(peerId);
    const changed = () => this.listChanged(peerId, view);
    this.watched.set(peerId, view.subscribe(changed));
    changed();
  }

  /** Recomputes one contact's count, preview and activity; renders only when one changed. */
  private listChanged(peerId: string, view: ConversationView) {
    if (peerId === this.peer?.id) this.markSeen();
    const entries = view.entries();
    const info = {
      count: view.loaded() ? unreadCount(entries, this.lastRead.get(peerId) ?? 0) : 0,
      preview: previewOf(entries),
      // The server's newest id counts receipts too (it cannot tell them): once the history is
      // decrypted here, only what it shows moves the conversation up.
      activity: (view.loaded() ? newestId(entries) : 0) || (this.serverNewest.get(peerId) ?? 0),
    };
    const old = this.listInfo.get(peerId);
    if (old?.count === info.count && old.preview === info.preview && old.activity === info.activity)
      return;
    this.listInfo.set(peerId, info);
    this.requestUpdate();
  }

  /**
   * The open conversation is read up to its newest message while the tab is visible: the mark
   * moves up here and on the server, so every browser of the user counts from it.
   */
  private markSeen() {
    const peerId = this.peer?.id;
    const view = this.view;
    if (!peerId || !view?.loaded() || document.visibilityState !== 'visible') return;
    // Read receipts: only what a visible, focused page shows, and only if the user allows it.
    if (document.hasFocus() && this.chat?.readReceipts.enabled()) view.markRead();
    const newest = newestId(view.entries());
    if (newest <= (this.lastRead.get(peerId) ?? 0)) return;
    this.lastRead.set(peerId, newest);
    void this.chat?.api.markRead(peerId, newest).catch(() => undefined);
    this.listChanged(peerId, view);
  }

  /** A message arrived for `peerId`: a contact not listed yet is fetched (and followed). */
  private onActivity(peerId: string) {
    if (!this.contacts.some((c) => c.id === peerId)) void this.loadContacts();
  }

  /** Most recent activity first; contacts just found, with no message yet, on top. */
  private sortedContacts(): ChatUser[] {
    const activity = (c: ChatUser) => this.listInfo.get(c.id)?.activity || Number.MAX_SAFE_INTEGER;
    return [...this.contacts].sort((a, b) => activity(b) - activity(a));
  }

  protected override updated(): void {
    let total = 0;
    for (const contact of this.contacts) total += this.listInfo.get(contact.id)?.count ?? 0;
    document.title = titleFor(total);
  }

  /** A text arrived live: a notification when the tab is hidden and the user opted in. */
  private async onIncomingText(peerId: string, text: string) {
    const notifier = this.chat?.notifier;
    if (!notifier?.enabled()) return;
    let peer = this.contacts.find((c) => c.id === peerId);
    if (!peer) {
      await this.loadContacts();
      peer = this.contacts.find((c) => c.id === peerId);
    }
    if (peer) notifier.incoming(peer, text);
  }

  private async onNotifySwitch(event: Event) {
    const box = event.target as HTMLInputElement;
    box.checked = (await this.chat?.notifier.setEnabled(box.checked)) ?? false;
    this.requestUpdate();
  }

  private openConversation(peer: ChatUser) {
    if (!this.chat) return;
    this.stopView?.();
    this.missing = '';
    this.peer = peer;
    this.notice = '';
    this.view = this.chat.chat.open(peer.id);
    this.watch(peer.id);
    this.markSeen();
    this.announced = undefined;
    this.announcement = '';
    const view = this.view;
    this.stopView = view.subscribe(() => {
      this.revision += 1;
      this.markSeen();
      this.announce(view, peer);
    });
    this.announce(view, peer);
    this.revision += 1;
  }

  /**
   * Tells the live region about the peer's texts that are new since the conversation was shown;
   * the history present when it loaded, and the user's own texts, are not announced.
   */
  private announce(view: ConversationView, peer: ChatUser) {
    if (!view.loaded()) return;
    const entries = view.entries();
    if (!this.announced) {
      this.announced = new Set(entries.map((e) => e.key));
      return;
    }
    const fresh = entries.filter((e) => !this.announced?.has(e.key));
    for (const entry of fresh) this.announced.add(entry.key);
    const texts = fresh.flatMap((e) => (e.kind === 'text' && !e.mine ? [e.text] : []));
    if (texts.length > 0) this.announcement = `${peer.username}: ${texts.join(' · ')}`;
  }

  private async onSearch(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const input = form.elements.namedItem('username') as HTMLInputElement;
    const username = input.value.trim();
    if (!username) return;
    this.searchMessage = '';
    try {
      const found = await this.chat?.api.findUser(username);
      if (!found) {
        this.searchMessage = `No one else is called “${username}”.`;
        return;
      }
      if (!this.contacts.some((c) => c.id === found.id)) this.contacts = [found, ...this.contacts];
      input.value = '';
      navigate(chatPath(found.username));
    } catch (error) {
      this.searchMessage = error instanceof ApiError ? error.message : 'The search failed.';
    }
  }

  private onSend(text: string) {
    if (!this.view) return;
    this.view.send(text);
    if (!this.contacts.some((c) => c.id === this.peer?.id) && this.peer) {
      this.contacts = [this.peer, ...this.contacts];
    }
  }

  private async onRefresh() {
    if (!this.view) return;
    const outcome = await this.view.refresh().catch(() => 'failed' as const);
    this.notice =
      outcome === 'no-keys'
        ? 'There are no keys to refresh yet: send a message first to agree on keys.'
        : outcome === 'failed'
          ? 'The keys could not be refreshed. Try again.'
          : '';
  }

  private onReadReceiptsSwitch(event: Event) {
    this.chat?.readReceipts.set((event.target as HTMLInputElement).checked);
    this.markSeen();
  }

  private onLogSwitch(event: Event) {
    this.logOn = (event.target as HTMLInputElement).checked;
    this.chat?.cryptoLog.set(this.logOn);
  }

  private conversation() {
    const peer = this.peer;
    const view = this.view;
    if (this.missing) {
      return html`<section class="chat-main chat-placeholder" aria-labelledby="chat-missing">
        <a class="chat-back" href="/chat" aria-label="Back to your chats">‹ Chats</a>
        <h2 id="chat-missing">No one here is called “${this.missing}”</h2>
        <p>Check the spelling of the address, or find a contact by username.</p>
        <p><a href="/chat">Back to your chats</a></p>
      </section>`;
    }
    if (!peer || !view) {
      return html`<section class="chat-main chat-placeholder">
        <p>Choose a contact, or find one by username, to start an end-to-end encrypted chat.</p>
      </section>`;
    }
    return html`<section class="chat-main" aria-label=${`Conversation with ${peer.username}`}>
      <header class="chat-header">
        <a class="chat-back" href="/chat" aria-label="Back to your chats">‹ Chats</a>
        <h2>${peer.username}</h2>
        <button type="button" class="secondary" @click=${() => this.onRefresh()}
          title="Derive new keys from the shared secret and tell ${peer.username}">Refresh</button>
      </header>
      ${this.notice ? html`<p class="notice-box" role="status">${this.notice}</p>` : nothing}
      ${
        view.entries().some((entry) => entry.kind === 'undecryptable')
          ? html`<p class="notice-box chat-warning" role="alert">${UNDECRYPTABLE_WARNING}</p>`
          : nothing
      }
      <div class="chat-scroll" tabindex="0" role="region" aria-label=${`Messages with ${peer.username}`}>
        ${
          view.loaded() && view.truncated()
            ? html`<button type="button" class="link chat-earlier" @click=${() =>
                view.loadEarlier().catch(() => {
                  this.notice = 'Earlier messages could not be loaded. Try again.';
                })}>Load earlier messages</button>`
            : nothing
        }
        ${
          view.loaded()
            ? html`<parley-chat-entries .entries=${[...view.entries()]} .peerName=${peer.username}
                data-revision=${this.revision}
                @chat-retry=${(e: ChatRetryEvent) => view.retry(e.key)}></parley-chat-entries>`
            : html`<p role="status">Decrypting the history…</p>`
        }
      </div>
      <parley-chat-composer .peerName=${peer.username} ?disabled=${this.status === 'signed-out'}
        @chat-send=${(e: ChatSendEvent) => this.onSend(e.text)}></parley-chat-composer>
    </section>`;
  }

  override render() {
    if (this.loadError) {
      return html`<main class="auth-page"><p class="form-error" role="alert">${this.loadError}</p></main>`;
    }
    if (!this.me) return html`<main class="auth-page"><p role="status">Loading…</p></main>`;
    const notifier = this.chat?.notifier;
    // On a narrow screen one pane shows at a time (chat.css): the list, or the conversation.
    const pane = this.peer || this.missing ? 'conversation' : 'list';
    return html`<main class="chat-page" data-pane=${pane}>
      <aside class="chat-side">
        <header class="chat-me">
          <h1>Parley</h1>
          <p>Signed in as <strong>${this.me.username}</strong></p>
          <p class="chat-status" role="status" data-status=${this.status}>${STATUS_LABELS[this.status]}</p>
        </header>
        <form class="chat-search" @submit=${(e: SubmitEvent) => this.onSearch(e)}>
          <label for="chat-find">Find a contact by username</label>
          <div class="chat-search-row">
            <input id="chat-find" name="username" autocomplete="off" maxlength="32" />
            <button type="submit" class="secondary">Find</button>
          </div>
          ${this.searchMessage ? html`<p class="field-error" role="alert">${this.searchMessage}</p>` : nothing}
        </form>
        <nav aria-label="Contacts">
          <ul class="chat-contacts">
            ${this.sortedContacts().map((contact) => {
              const info = this.listInfo.get(contact.id);
              return html`<li>
                <button type="button" class="contact" aria-current=${contact.id === this.peer?.id ? 'true' : 'false'}
                  @click=${() => navigate(chatPath(contact.username))}><span class="contact-name">${contact.username}</span>${
                    info?.count
                      ? html` <span class="unread">${info.count}<span class="visually-hidden"> new</span></span>`
                      : nothing
                  }${info?.preview ? html` <span class="contact-preview">${info.preview}</span>` : nothing}</button>
              </li>`;
            })}
          </ul>
        </nav>
        <div class="chat-settings">
          <label class="check"><input type="checkbox" id="crypto-log" .checked=${this.logOn}
            @change=${(e: Event) => this.onLogSwitch(e)} /> Log crypto operations to the console</label>
          <label class="check"><input type="checkbox" id="read-receipts" .checked=${this.chat?.readReceipts.enabled() ?? true}
            @change=${(e: Event) => this.onReadReceiptsSwitch(e)} /> Send read receipts</label>
          ${
            notifier?.supported()
              ? html`<label class="check"><input type="checkbox" id="notify" .checked=${notifier.enabled()}
                  @change=${(e: Event) => this.onNotifySwitch(e)} /> Notify me of messages while this tab is hidden</label>
                <label class="check"><input type="checkbox" id="notify-hide-text" .checked=${notifier.hideText()}
                  ?disabled=${!notifier.enabled()}
                  @change=${(e: Event) => notifier.setHideText((e.target as HTMLInputElement).checked)} />
                  Hide the message text in notifications</label>`
              : nothing
          }
          <a href="/account">Account and security keys</a>
          <button type="button" class="link" @click=${async () => {
            await this.services()
              .session.signOut()
              .catch(() => undefined);
            navigate('/signin');
          }}>Sign out</button>
        </div>
      </aside>
      ${this.conversation()}
      <p class="visually-hidden" aria-live="polite" data-testid="chat-announcer">${this.announcement}</p>
    </main>`;
  }
}

customElements.define('parley-chat-page', ChatPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat-page': ChatPage;
  }
}
