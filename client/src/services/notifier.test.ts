import { describe, expect, it } from 'vitest';
import { createNotifier, type NotificationApi } from './notifier.js';

function fakeApi(permission: NotificationPermission, answer: NotificationPermission) {
  const shown: { title: string; options?: NotificationOptions; closed: boolean }[] = [];
  class FakeNotification {
    static permission = permission;
    static async requestPermission() {
      FakeNotification.permission = answer;
      return answer;
    }
    onclick: (() => void) | null = null;
    record: (typeof shown)[number];
    constructor(title: string, options?: NotificationOptions) {
      this.record = { title, ...(options ? { options } : {}), closed: false };
      shown.push(this.record);
    }
    close() {
      this.record.closed = true;
    }
  }
  return { api: FakeNotification as unknown as NotificationApi, shown };
}

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

const bob = { id: '7', username: 'bob' };

describe('createNotifier', () => {
  it('is off until turned on, and then notifies only while hidden; a click opens the conversation', async () => {
    const { api, shown } = fakeApi('default', 'granted');
    let hidden = true;
    const opened: string[] = [];
    const notifier = createNotifier({
      storage: memoryStorage(),
      api,
      hidden: () => hidden,
      open: (peer) => opened.push(peer.username),
    });
    expect(notifier.incoming(bob, 'hi')).toBeUndefined();
    expect(await notifier.setEnabled(true)).toBe(true);
    hidden = false;
    expect(notifier.incoming(bob, 'seen')).toBeUndefined();
    hidden = true;
    const notification = notifier.incoming(bob, 'hello');
    expect(shown).toEqual([
      { title: 'bob', options: { body: 'hello', tag: 'parley-chat-7' }, closed: false },
    ]);
    if (!notification) throw new Error('no notification');
    (notification.onclick as () => void)();
    expect(opened).toEqual(['bob']);
    expect(shown[0]?.closed).toBe(true);
    notifier.setHideText(true);
    notifier.incoming(bob, 'secret');
    expect(shown[1]?.options?.body).toBe('New message');
  });

  it('stays off when the browser refuses', async () => {
    const { api, shown } = fakeApi('default', 'denied');
    const notifier = createNotifier({
      storage: memoryStorage(),
      api,
      hidden: () => true,
      open: () => {},
    });
    expect(await notifier.setEnabled(true)).toBe(false);
    expect(notifier.incoming(bob, 'hi')).toBeUndefined();
    expect(shown).toEqual([]);
  });
});
