/**
 * Opt-in browser notifications for texts that arrive while the tab is hidden. The choices are
 * preferences in localStorage (not secrets): notifications on or off, and whether they show the
 * message text or only "New message". The browser's own permission is asked when turned on.
 */
import type { StorageLike } from '../keystore/index.js';

export const NOTIFY_SETTING = 'parley:settings:notify';
export const NOTIFY_HIDE_TEXT_SETTING = 'parley:settings:notify-hide-text';

/** The part of the Notification API the notifier uses (window.Notification in the browser). */
export interface NotificationApi {
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  new (title: string, options?: NotificationOptions): Notification;
}

export interface NotifierOptions {
  storage: Pick<StorageLike, 'getItem' | 'setItem'>;
  /** Absent where the browser has no notifications. */
  api: NotificationApi | undefined;
  /** True while the page is hidden (document.visibilityState). */
  hidden: () => boolean;
  /** Opens the conversation a clicked notification belongs to. */
  open: (peer: { id: string; username: string }) => void;
}

export interface Notifier {
  supported(): boolean;
  /** On, and the browser allows it. */
  enabled(): boolean;
  hideText(): boolean;
  /** Turns notifications on (asking the browser) or off; resolves to whether they are on. */
  setEnabled(on: boolean): Promise<boolean>;
  setHideText(hide: boolean): void;
  /** A text arrived from `peer`: shows a notification if on and the tab is hidden. */
  incoming(peer: { id: string; username: string }, text: string): Notification | undefined;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { storage, api } = options;
  const enabled = () =>
    api !== undefined && api.permission === 'granted' && storage.getItem(NOTIFY_SETTING) === 'on';
  const hideText = () => storage.getItem(NOTIFY_HIDE_TEXT_SETTING) === 'on';
  return {
    supported: () => api !== undefined,
    enabled,
    hideText,
    async setEnabled(on) {
      if (on && api && api.permission !== 'granted') {
        const answer = await api.requestPermission().catch(() => 'denied' as const);
        if (answer !== 'granted') on = false;
      }
      storage.setItem(NOTIFY_SETTING, on && api !== undefined ? 'on' : 'off');
      return enabled();
    },
    setHideText(hide) {
      storage.setItem(NOTIFY_HIDE_TEXT_SETTING, hide ? 'on' : 'off');
    },
    incoming(peer, text) {
      if (!api || !enabled() || !options.hidden()) return undefined;
      // One notification per conversation: a newer one replaces the older (same tag).
      const notification = new api(peer.username, {
        body: hideText() ? 'New message' : text,
        tag: `parley-chat-${peer.id}`,
      });
      notification.onclick = () => {
        options.open(peer);
        notification.close();
      };
      return notification;
    },
  };
}
