/**
 * What the composition root (main.ts) hands to the pages: the services they use, built once,
 * provided to every page by the app shell through a Lit context (@lit/context). Pages consume
 * it and never construct a service themselves (docs/layers.test.ts holds them to that).
 *
 * The chat's services are heavy (the E2EE protocol, the key store, the relay): the landing
 * page must not carry them, so the context holds a loader that imports their chunk on first
 * use, and an opener that builds one signed-in user's set.
 */
import { createContext } from '@lit/context';
import type { ApiClient } from './api.js';
import type { SessionInfo } from './auth.js';
import type { ChatService } from './chat.js';
import type { ChatUser, ConversationSummary } from './chat-api.js';
import type { RelayClient } from './chat-relay.js';
import type { CryptoLogSwitch } from './crypto-log-switch.js';
import type { Notifier } from './notifier.js';
import type { ReadReceiptsSwitch } from './read-receipts.js';

/** The signed-in session, as every page may ask for it. */
export interface SessionApi {
  /** The signed-in session, or undefined when there is none. */
  current(): Promise<SessionInfo | undefined>;
  signOut(everywhere?: boolean): Promise<void>;
}

/** The chat's HTTP reads and the read mark (services/chat-api.ts). */
export interface ChatApi {
  findUser(username: string): Promise<ChatUser | undefined>;
  listConversations(): Promise<ConversationSummary[]>;
  markRead(peerId: string, lastReadId: number): Promise<void>;
}

/**
 * One signed-in user's chat, open while the chat page shows: the relay connection, the chat
 * service over the key store and the outbox, the notifier, the crypto log and read receipts
 * switches.
 */
export interface ChatServices {
  readonly me: ChatUser;
  readonly api: ChatApi;
  readonly chat: ChatService;
  readonly relay: Pick<RelayClient, 'onStatus' | 'status'>;
  readonly notifier: Notifier;
  readonly cryptoLog: CryptoLogSwitch;
  /** Whether this browser sends read receipts (delivered ones flow regardless). */
  readonly readReceipts: ReadReceiptsSwitch;
  /** Closes the chat and the relay, and gives up this tab's outbox presence. */
  close(): void;
}

/** Builds a signed-in user's chat services (reads who the user is first). */
export interface ChatFactory {
  /**
   * Undefined when `signal` was aborted meanwhile (the page left): then no live channel is
   * opened, or none is left open. Rejects with the ApiError of reading the user.
   */
  open(signal: AbortSignal): Promise<ChatServices | undefined>;
}

export interface AppServices {
  /** The one API client: the services of services/auth.ts take it as their first argument. */
  readonly api: ApiClient;
  readonly session: SessionApi;
  /** The chat's code, loaded once on first use: start it early, open once signed in. */
  loadChat(): Promise<ChatFactory>;
}

export const appServicesContext = createContext<AppServices>(Symbol('parley-app-services'));
