/**
 * The composition root: builds the services once and hands them to the app shell, which
 * provides them to every page (services/app-services.ts). Nothing below constructs a service.
 * The chat's services load as a chunk of their own on first use, so a first visit to the
 * landing page carries none of the chat's code.
 */
import { ParleyApp } from './app-shell.js';
import { chatPath } from './router.js';
import { createApiClient } from './services/api-client.js';
import type { AppServices, ChatFactory } from './services/app-services.js';
import { currentSession, signOut } from './services/auth.js';
import { navigate } from './services/navigation.js';

let chat: Promise<ChatFactory> | undefined;

const api = createApiClient({ fetch: (input, init) => fetch(input, init) });

const services: AppServices = {
  api,
  session: {
    current: () => currentSession(api),
    signOut: (everywhere) => signOut(api, everywhere),
  },
  loadChat() {
    chat ??= import('./services/chat-services.js').then(({ createChatFactory }) =>
      createChatFactory({
        api,
        location: window.location,
        storage: localStorage,
        locks: navigator.locks,
        indexedDB,
        notifications: 'Notification' in window ? window.Notification : undefined,
        hidden: () => document.visibilityState === 'hidden',
        onPageHide: (listener) => {
          window.addEventListener('pagehide', listener);
          return () => window.removeEventListener('pagehide', listener);
        },
        openConversation: (username) => {
          window.focus();
          navigate(chatPath(username));
        },
        now: Date.now,
        randomId: () => crypto.randomUUID(),
      }),
    );
    // A failed load (offline, a replaced deployment) is tried again at the next call.
    chat.catch(() => {
      chat = undefined;
    });
    return chat;
  },
};

customElements.define(
  'parley-app',
  class extends ParleyApp {
    constructor() {
      super(services);
    }
  },
);

declare global {
  interface HTMLElementTagNameMap {
    'parley-app': ParleyApp;
  }
}
