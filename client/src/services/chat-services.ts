/**
 * The chat's part of the composition root: builds, for the signed-in user, the relay
 * connection, the key store, the outbox and the chat service over them, with the notifier and
 * the crypto log switch. main.ts loads this module on first use (its own chunk, with the
 * protocol), so the landing page carries none of it; pages receive the result and never
 * construct these services themselves.
 */
import { createKeystore, indexedDbFence, webLocks } from '../keystore/index.js';
import type { ApiClient } from './api.js';
import type { ChatApi, ChatFactory, ChatServices } from './app-services.js';
import { createChatService } from './chat.js';
import { findUser, historyPage, listConversations, markRead, whoAmI } from './chat-api.js';
import { createRelayClient, liveChannelUrl } from './chat-relay.js';
import { createCryptoLogSwitch } from './crypto-log-switch.js';
import { createNotifier, type NotificationApi } from './notifier.js';
import { createOutbox } from './outbox.js';
import { indexedDbOutboxStorage, webLockPresence } from './outbox-storage.js';
import { createReadReceiptsSwitch } from './read-receipts.js';

/** The browser the chat runs in: window's parts, passed in by main.ts. */
export interface ChatPlatform {
  /** The app's one API client (main.ts). */
  api: ApiClient;
  location: { protocol: string; host: string };
  storage: Storage;
  locks: LockManager;
  indexedDB: IDBFactory;
  notifications: NotificationApi | undefined;
  /** True while the page is hidden (document.visibilityState). */
  hidden(): boolean;
  /**
   * Calls `listener` when the page goes away (pagehide: a reload, a navigation, the tab
   * closing); returns what stops it.
   */
  onPageHide(listener: () => void): () => void;
  /** A clicked notification: bring the tab forward and open the conversation with `username`. */
  openConversation(username: string): void;
  now(): number;
  randomId(): string;
}

export function createChatFactory(platform: ChatPlatform): ChatFactory {
  const client = platform.api;
  const api: ChatApi = {
    findUser: (username) => findUser(client, username),
    listConversations: () => listConversations(client),
    markRead: (peerId, lastReadId) => markRead(client, peerId, lastReadId),
  };
  return {
    async open(signal: AbortSignal): Promise<ChatServices | undefined> {
      const me = await whoAmI(client);
      if (signal.aborted) return undefined;
      const presence = await webLockPresence(platform.locks, platform.randomId());
      if (signal.aborted) {
        presence.release();
        return undefined;
      }
      // A page that goes lets go of its texts at once (pagehide), before the browser frees its
      // locks as it tears the page down: the page after it never finds them owned.
      const stopWatching = platform.onPageHide(() => presence.release());
      const cryptoLog = createCryptoLogSwitch(platform.storage);
      const relay = createRelayClient({ url: liveChannelUrl(platform.location) });
      const chat = createChatService({
        self: me,
        relay,
        keystore: createKeystore({
          storage: platform.storage,
          locks: webLocks(platform.locks),
          fence: indexedDbFence(platform.indexedDB),
          userId: me.id,
        }),
        history: (peerId, before, background) => historyPage(client, peerId, before, background),
        now: platform.now,
        log: cryptoLog.log,
        outbox: createOutbox({
          storage: indexedDbOutboxStorage(platform.indexedDB, platform.storage),
          presence,
          userId: me.id,
          now: platform.now,
        }),
        sendLocks: webLocks(platform.locks),
      });
      const notifier = createNotifier({
        storage: platform.storage,
        api: platform.notifications,
        hidden: platform.hidden,
        open: (peer) => platform.openConversation(peer.username),
      });
      return {
        me,
        api,
        chat,
        relay,
        notifier,
        cryptoLog,
        readReceipts: createReadReceiptsSwitch(platform.storage),
        close() {
          chat.close();
          relay.close();
          // Texts still unacknowledged stay in the outbox; the next chat page takes them over.
          presence.release();
          stopWatching();
        },
      };
    },
  };
}
