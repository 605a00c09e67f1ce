/**
 * The chat relay and the chat's read routes, through the real app on a loopback port with real
 * WebSockets and a real database: store before ack, delivery to the recipient's sockets and
 * the sender's other sockets, refusals that store nothing, order, resends, history pages.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../test/support/api-client.js';
import { useAppServer } from '../../test/support/app-server.js';
import {
  type Frame,
  msgPayload,
  openLiveSocket,
  signUpUser,
  type TestUser,
} from '../../test/support/live-client.js';
import { USER_LOOKUP_BUCKET } from '../routes/chat.js';

const server = useAppServer();
let n = 0;

const person = () => {
  n += 1;
  return signUpUser(server, `chat${n}`);
};
const connect = (who: TestUser) => openLiveSocket({ url: server.url, cookie: who.cookie });

async function rowCount(): Promise<number> {
  const [rows] = await server.testDb.database.pool.query('SELECT COUNT(*) AS n FROM messages');
  return Number((rows as { n: number }[])[0]?.n);
}

describe('chat read routes', () => {
  it('need a full session, find contacts by exact username only, bound every page', async () => {
    const alice = await person();
    const bob = await person();
    const stranger = new ApiClient(server.app, server.url);
    for (const path of [
      '/api/users/me',
      `/api/users?username=${bob.name}`,
      '/api/conversations',
      `/api/conversations/${bob.id}/messages`,
    ]) {
      expect((await stranger.get(path)).status).toBe(401);
    }
    expect((await alice.client.get('/api/users/me')).body).toEqual({
      id: alice.id,
      username: alice.name,
    });
    const found = await alice.client.get(`/api/users?username=${bob.name.toUpperCase()}`);
    expect(found.body).toEqual({ users: [{ id: bob.id, username: bob.name }] });
    expect(found.headers.get('cache-control')).toContain('no-store');
    // No prefix search, no listing, never oneself.
    expect((await alice.client.get('/api/users?username=chat')).body.users).toEqual([]);
    expect((await alice.client.get(`/api/users?username=${alice.name}`)).body.users).toEqual([]);
    expect((await alice.client.get('/api/users')).status).toBe(400);
    expect((await alice.client.get(`/api/users?username=${'x'.repeat(65)}`)).status).toBe(400);
    const history = `/api/conversations/${bob.id}/messages`;
    expect((await alice.client.get(history)).body).toEqual({ messages: [], hasMore: false });
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=abc',
      '?before=-1',
      '?before=x',
      '?x=1',
    ]) {
      expect((await alice.client.get(history + query)).status, query).toBe(400);
    }
    expect((await alice.client.get('/api/conversations/abc/messages')).status).toBe(400);
    expect((await alice.client.get('/api/conversations/999999999/messages')).status).toBe(404);
    expect((await alice.client.get(`/api/conversations/${alice.id}/messages`)).status).toBe(404);
    // GET changes nothing, and POST has no route.
    expect((await alice.client.post(history, {})).status).toBe(404);
  });

  it('limits contact look-ups per user, so names cannot be tried at full speed', async () => {
    const alice = await person();
    const bob = await person();
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof alice.client.get>> | undefined;
    // The bucket refills slowly: a 429 comes soon after its capacity, however loaded the machine.
    while (!limited && statuses.length < 2 * USER_LOOKUP_BUCKET.capacity) {
      const response = await alice.client.get(`/api/users?username=guess${statuses.length}`);
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses.slice(0, USER_LOOKUP_BUCKET.capacity).every((s) => s === 200)).toBe(true);
    expect(limited?.body.error.code).toBe('rate_limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user has a bucket of their own.
    const found = await bob.client.get(`/api/users?username=${alice.name}`);
    expect(found.body.users).toEqual([{ id: alice.id, username: alice.name }]);
  });
});

describe('the relay on the live channel', () => {
  it('stores, then acks the sender and delivers to the recipient and the sender’s other tabs', async () => {
    const alice = await person();
    const bob = await person();
    const a1 = connect(alice);
    const a2 = connect(alice);
    const b1 = connect(bob);
    const b2 = connect(bob);
    await Promise.all([a1.opened, a2.opened, b1.opened, b2.opened]);
    const payload = msgPayload(alice.id, bob.id);
    a1.send({ type: 'send', clientMessageId: 'c-1', to: bob.id, payload });
    await expect.poll(() => a1.of('ack').length).toBe(1);
    const ack = a1.of('ack')[0];
    expect(ack).toMatchObject({ clientMessageId: 'c-1', id: expect.any(Number) });
    const [stored] = await server.testDb.database.pool.query(
      'SELECT sender_id, recipient_id, payload FROM messages WHERE id = ?',
      [ack.id],
    );
    expect(stored).toEqual([
      { sender_id: Number(alice.id), recipient_id: Number(bob.id), payload },
    ]);
    const delivered = {
      type: 'message',
      id: ack.id,
      from: alice.id,
      to: bob.id,
      payload,
      clientMessageId: 'c-1',
      at: ack.at,
    };
    for (const socket of [b1, b2, a2]) {
      await expect.poll(() => socket.of('message')).toEqual([delivered]);
    }
    // The sending socket gets the ack, not an echo.
    expect(a1.of('message')).toEqual([]);
    // Bob's answer reaches both of Alice's sockets and Bob's other one.
    b2.send({
      type: 'send',
      clientMessageId: 'r-1',
      to: alice.id,
      payload: msgPayload(bob.id, alice.id),
    });
    await expect.poll(() => b2.of('ack').length).toBe(1);
    await expect.poll(() => a1.of('message').length).toBe(1);
    await expect.poll(() => a2.of('message').length).toBe(2);
    await expect.poll(() => b1.of('message').length).toBe(2);
    expect(b2.of('message')).toHaveLength(1);
    // Both now list the conversation.
    const list = await alice.client.get('/api/conversations');
    expect(list.body.conversations).toEqual([
      {
        peer: { id: bob.id, username: bob.name },
        lastMessageId: b2.of('ack')[0].id,
        lastAt: b2.of('ack')[0].at,
        // Alice has marked nothing read (POST /api/conversations/:peerId/read).
        lastReadId: 0,
      },
    ]);
    for (const s of [a1, a2, b1, b2]) s.socket.close();
  });

  it('refuses malformed frames, wrong senders and recipients and oversized payloads, storing nothing', async () => {
    const alice = await person();
    const bob = await person();
    const a = connect(alice);
    const b = connect(bob);
    await Promise.all([a.opened, b.opened]);
    const before = await rowCount();
    const send = (clientMessageId: string, to: string, payload: string) =>
      a.send({ type: 'send', clientMessageId, to, payload });
    a.send('not json');
    a.send({ type: 'send', clientMessageId: 'x', to: bob.id }); // no payload
    a.send({ type: 'send', clientMessageId: 'bad id!', to: bob.id, payload: '{}' });
    a.send({ type: 'send', clientMessageId: 'x', to: 'bob', payload: '{}' });
    a.send({ type: 'send', clientMessageId: 'x', to: bob.id, payload: '{}', extra: 1 });
    send('m1', bob.id, 'not json');
    send('m2', bob.id, JSON.stringify({ v: 1, type: 'msg', from: alice.id, to: bob.id }));
    send('m3', bob.id, JSON.stringify({ ...JSON.parse(msgPayload(alice.id, bob.id)), extra: 'x' }));
    send('m4', bob.id, JSON.stringify({ ...JSON.parse(msgPayload(alice.id, bob.id)), v: 2 }));
    send(
      'm5',
      bob.id,
      JSON.stringify({ ...JSON.parse(msgPayload(alice.id, bob.id)), type: 'plain', text: 'hi' }),
    );
    send('m6', bob.id, msgPayload(bob.id, alice.id)); // claims to be from Bob
    send('m7', bob.id, msgPayload(alice.id, '999999')); // names another recipient
    send('m8', alice.id, msgPayload(alice.id, bob.id)); // to oneself
    send('m9', '999999', msgPayload(alice.id, '999999')); // no such user
    send('m10', bob.id, `${msgPayload(alice.id, bob.id)}${' '.repeat(33_000)}`); // JSON text over 32 768
    const tooBig = 'x'.repeat(70 * 1024);
    expect(tooBig.length).toBeGreaterThan(64 * 1024);
    await expect.poll(() => a.of('error').length).toBe(15);
    const byId = new Map(a.of('error').map((f: Frame) => [f.clientMessageId, f.code]));
    expect(Object.fromEntries(byId)).toEqual({
      undefined: 'invalid_frame',
      m1: 'invalid_payload',
      m2: 'invalid_payload',
      m3: 'invalid_payload',
      m4: 'invalid_payload',
      m5: 'invalid_payload',
      m6: 'wrong_sender',
      m7: 'wrong_recipient',
      m8: 'wrong_recipient',
      m9: 'unknown_recipient',
      m10: 'payload_too_large',
    });
    expect(a.of('error').filter((f: Frame) => f.code === 'invalid_frame')).toHaveLength(5);
    expect(a.of('ack')).toEqual([]);
    expect(b.of('message')).toEqual([]);
    expect(await rowCount()).toBe(before);
    // A frame over the 64 KiB limit closes the socket (ws maxPayload) and stores nothing.
    const closed = new Promise<number>((resolve) =>
      a.socket.once('close', (code) => resolve(code)),
    );
    a.send({ type: 'send', clientMessageId: 'big', to: bob.id, payload: tooBig });
    expect(await closed).toBe(1009);
    expect(await rowCount()).toBe(before);
    b.socket.close();
  });

  it('keeps the order of a conversation, pages history by id, and stores a resend once', async () => {
    const alice = await person();
    const bob = await person();
    const a = connect(alice);
    const b = connect(bob);
    await Promise.all([a.opened, b.opened]);
    const payloads = Array.from({ length: 25 }, (_, i) => msgPayload(alice.id, bob.id, i + 1));
    payloads.forEach((payload, i) => {
      a.send({ type: 'send', clientMessageId: `o-${i}`, to: bob.id, payload });
    });
    await expect.poll(() => b.of('message').length, { timeout: 10_000 }).toBe(25);
    const received = b.of('message');
    expect(received.map((f: Frame) => f.payload)).toEqual(payloads);
    const ids = received.map((f: Frame) => f.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(a.of('ack').map((f: Frame) => f.id)).toEqual(ids);
    // Resending with the same client id (the ack was lost) gets the same id, stores nothing new,
    // and is delivered again under that id (the first attempt may have been stored without being
    // delivered; recipients de-duplicate by id).
    const rowsBefore = await rowCount();
    a.send({ type: 'send', clientMessageId: 'o-3', to: bob.id, payload: payloads[3] });
    await expect.poll(() => a.of('ack').length).toBe(26);
    expect(a.of('ack')[25]).toMatchObject({ clientMessageId: 'o-3', id: ids[3] });
    await expect.poll(() => b.of('message').length).toBe(26);
    expect(b.of('message')[25]).toEqual(received[3]);
    expect(await rowCount()).toBe(rowsBefore);
    // The same copy again: the ack says nothing more. Another copy under a stored id (a text
    // encrypted again after a reload): the ack names the copy that was stored, not this one.
    expect(a.of('ack')[25]).not.toHaveProperty('storedPayload');
    a.send({ type: 'send', clientMessageId: 'o-4', to: bob.id, payload: payloads[24] });
    await expect.poll(() => a.of('ack').length).toBe(27);
    expect(a.of('ack')[26]).toMatchObject({ id: ids[4], storedPayload: payloads[4] });
    expect(await rowCount()).toBe(rowsBefore);
    // History: the latest page first, each page in id order, older pages with `before`.
    const url = `/api/conversations/${alice.id}/messages`;
    const latest = await bob.client.get(`${url}?limit=10`);
    expect(latest.body.hasMore).toBe(true);
    expect(latest.body.messages.map((m: Frame) => m.id)).toEqual(ids.slice(15));
    const older = await bob.client.get(`${url}?limit=10&before=${ids[15]}`);
    expect(older.body.messages.map((m: Frame) => m.payload)).toEqual(payloads.slice(5, 15));
    const oldest = await bob.client.get(`${url}?limit=10&before=${ids[5]}`);
    expect(oldest.body).toMatchObject({ hasMore: false });
    expect(oldest.body.messages).toHaveLength(5);
    expect(oldest.body.messages[0]).toEqual({
      id: ids[0],
      from: alice.id,
      to: bob.id,
      payload: payloads[0],
      clientMessageId: 'o-0',
      // The time the message was stored: what its ack and its delivery said.
      at: a.of('ack')[0].at,
    });
    expect(received[0].at).toBe(a.of('ack')[0].at);
    // Alice sees the same conversation; a third user sees none of it.
    const mine = await alice.client.get(`/api/conversations/${bob.id}/messages?limit=100`);
    expect(mine.body.messages.map((m: Frame) => m.id)).toEqual(ids);
    const carol = await person();
    expect(
      (await carol.client.get(`/api/conversations/${alice.id}/messages`)).body.messages,
    ).toEqual([]);
    a.socket.close();
    b.socket.close();
  });

  it('refuses a flood beyond the pending bound instead of queueing it, and stores what it acks', async () => {
    const alice = await person();
    const bob = await person();
    const a = connect(alice);
    await a.opened;
    const before = await rowCount();
    const total = 300;
    for (let i = 0; i < total; i += 1) {
      a.send({
        type: 'send',
        clientMessageId: `f-${i}`,
        to: bob.id,
        payload: msgPayload(alice.id, bob.id, i + 1),
      });
    }
    await expect
      .poll(() => a.of('ack').length + a.of('error').length, { timeout: 20_000 })
      .toBe(total);
    const refused = a.of('error');
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((f: Frame) => f.code))).toEqual(new Set(['too_many_pending']));
    expect(await rowCount()).toBe(before + a.of('ack').length);
    a.socket.close();
  });

  it('counts a send as session activity, and a signed-out socket cannot send', async () => {
    const alice = await person();
    const bob = await person();
    const a = connect(alice);
    await a.opened;
    const [before] = await server.testDb.database.pool.query(
      'SELECT MAX(last_active_at) AS t FROM sessions WHERE user_id = ?',
      [Number(alice.id)],
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    a.send({
      type: 'send',
      clientMessageId: 'act',
      to: bob.id,
      payload: msgPayload(alice.id, bob.id),
    });
    await expect.poll(() => a.of('ack').length).toBe(1);
    const [after] = await server.testDb.database.pool.query(
      'SELECT MAX(last_active_at) AS t FROM sessions WHERE user_id = ?',
      [Number(alice.id)],
    );
    const t = (rows: unknown) => (rows as { t: Date }[])[0]?.t.getTime() ?? 0;
    expect(t(after)).toBeGreaterThan(t(before));
    const closed = new Promise<number>((resolve) =>
      a.socket.once('close', (code) => resolve(code)),
    );
    await alice.client.post('/api/session/logout');
    expect(await closed).toBe(4401);
  });
});
