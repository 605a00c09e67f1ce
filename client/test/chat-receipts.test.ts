/**
 * Delivery and read receipts in Chromium against the real app (docs/protocol.md, "Receipts"):
 * Alice's text goes sent → delivered when Bob's browser decrypts it, → read when Bob opens the
 * conversation; with Bob's read receipts off it stops at delivered; the states survive Alice's
 * reload; receipts replayed or forged at the relay change no state; receipts are never entries.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import {
  chatPerson,
  FLAGGED,
  openChatWith,
  sendText,
  shownEntries,
} from '../../test/support/chat-people.js';

const running = useAppAndChromium();

/** Alice's own texts as "text:receipt" (receipt: sent, delivered or read). */
async function mine(page: Page): Promise<string[]> {
  return (await shownEntries(page))
    .filter((e) => e.who === '>')
    .map((e) => `${e.text}:${e.state === 'sent' ? (e.receipt ?? 'sent') : e.state}`);
}

/** Records every state the first own text of the open conversation goes through. */
async function recordStates(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { receiptStates: string[] }).receiptStates = seen;
    const note = () => {
      const li = document.querySelector('.chat-log > li.mine');
      if (!li) return;
      const state = li.getAttribute('data-state');
      const now = state === 'sent' ? (li.getAttribute('data-receipt') ?? 'sent') : `${state}`;
      if (seen.at(-1) !== now) seen.push(now);
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-state', 'data-receipt'],
    });
  });
  return () =>
    page.evaluate(() => (window as unknown as { receiptStates: string[] }).receiptStates);
}

describe('delivery and read receipts in Chromium', () => {
  it('sent → delivered → read; read receipts off stops at delivered; a reload keeps it; replayed or forged receipts change nothing', async () => {
    const alice = await chatPerson(running.app, running.browser, 'alice');
    const bob = await chatPerson(running.app, running.browser, 'bob');
    const aliceLog: string[] = [];
    const bobLog: string[] = [];
    alice.page.on('console', (m) => aliceLog.push(m.text()));
    bob.page.on('console', (m) => bobLog.push(m.text()));

    // Bob's page is open on the list: his browser decrypts Alice's text, he has not read it.
    await openChatWith(alice.page, 'bob');
    const states = await recordStates(alice.page);
    await sendText(alice.page, 'one');
    await expect.poll(() => mine(alice.page), { timeout: 20_000 }).toEqual(['one:delivered']);
    const contact = bob.page.getByRole('button', { name: /alice/ });
    await expect.poll(() => contact.textContent()).toContain('1 new');
    expect(await mine(alice.page)).toEqual(['one:delivered']);
    await expect(alice.page.locator('.chat-log li.mine .chat-meta').textContent()).resolves.toMatch(
      /delivered/,
    );

    // Bob opens the conversation (visible, focused): read.
    await contact.click();
    await expect.poll(() => mine(alice.page)).toEqual(['one:read']);
    expect(await states()).toEqual(expect.arrayContaining(['sent', 'delivered', 'read']));
    const order = await states();
    expect(order.indexOf('sent')).toBeLessThan(order.indexOf('delivered'));
    expect(order.indexOf('delivered')).toBeLessThan(order.indexOf('read'));

    // Bob turns read receipts off: Alice's next text, shown in his open conversation, stays
    // delivered. Bob's reply goes after any receipt his page would have sent (one send lock).
    await bob.page.getByLabel('Send read receipts').uncheck();
    await sendText(alice.page, 'two');
    await expect
      .poll(async () => (await shownEntries(bob.page)).map((e) => `${e.who}${e.text}`))
      .toEqual(['<one', '<two']);
    await expect.poll(() => mine(alice.page)).toEqual(['one:read', 'two:delivered']);
    await sendText(bob.page, 'seen it');
    await expect.poll(async () => (await shownEntries(alice.page)).at(-1)?.text).toBe('seen it');
    expect(await mine(alice.page)).toEqual(['one:read', 'two:delivered']);

    // Receipts are no entries, on either side; the switch is remembered.
    expect((await shownEntries(alice.page)).map((e) => `${e.who}${e.text}`)).toEqual([
      '>one',
      '>two',
      '<seen it',
    ]);
    expect((await shownEntries(bob.page)).map((e) => `${e.who}${e.text}`)).toEqual([
      '<one',
      '<two',
      '>seen it',
    ]);
    await bob.page.reload();
    await bob.page.getByText('Signed in as bob').waitFor();
    expect(await bob.page.getByLabel('Send read receipts').isChecked()).toBe(false);

    // Logged in the crypto console like every other operation.
    expect(bobLog.some((l) => l.startsWith('[parley-crypto] receipt-seal'))).toBe(true);
    expect(aliceLog.some((l) => l.startsWith('[parley-crypto] receipt-accept'))).toBe(true);

    // A misbehaving relay replays Bob's receipts and forges one ("read" instead of
    // "delivered"): Alice's reload shows the same states, and flags the copies.
    const [rows] = await running.app.testDb.database.pool.query(
      `SELECT m.sender_id, m.recipient_id, m.pair_key, m.payload FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE u.username_key = 'bob' AND m.payload LIKE '%"type":"msg"%' ORDER BY m.id`,
    );
    const receipts = (
      rows as { sender_id: number; recipient_id: number; pair_key: string; payload: string }[]
    ).filter((row) => JSON.parse(row.payload).ct.length === 56); // 42 bytes: a receipt
    const last = receipts.at(-1);
    if (!last) throw new Error('no stored receipt');
    const ct = Buffer.from(JSON.parse(last.payload).ct, 'base64url');
    ct[1] = (ct[1] ?? 0) ^ 0x03; // 0x01 delivered → 0x02 read, under the stream cipher
    const forged = JSON.stringify({ ...JSON.parse(last.payload), ct: ct.toString('base64url') });
    const injected = [
      ['replay-1', receipts[0]?.payload ?? last.payload],
      ['replay-2', last.payload],
      ['forged', forged],
    ] as const;
    for (const [id, payload] of injected) {
      await running.app.testDb.database.pool.query(
        'INSERT INTO messages (sender_id, recipient_id, pair_key, client_message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, NOW(3))',
        [last.sender_id, last.recipient_id, last.pair_key, id, payload],
      );
    }
    await alice.page.reload();
    // A reload under load (7 on 2 cores) once took more than the default 10 s to show them.
    await expect
      .poll(async () => (await shownEntries(alice.page)).filter((e) => FLAGGED.test(e.text)), {
        timeout: 20_000,
      })
      .toHaveLength(3);
    expect(await mine(alice.page)).toEqual(['one:read', 'two:delivered']);
    expect(
      (await shownEntries(alice.page)).map((e) => (FLAGGED.test(e.text) ? 'flagged' : e.text)),
    ).toEqual(['one', 'two', 'seen it', 'flagged', 'flagged', 'flagged']);

    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 120_000);
});
