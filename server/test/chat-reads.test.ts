/**
 * Read marks: how far a user has read each conversation, kept by the server so unread counts
 * survive reloads and new sign-ins. Against the real app and database.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient, signUp } from '../../test/support/api-client.js';
import { useAppServer } from '../../test/support/app-server.js';

const server = useAppServer();
const PASSWORD = 'juniper trombone glacier';

async function user(name: string) {
  const api = new ApiClient(server.app, server.url);
  await signUp(api, server.captcha, name, PASSWORD);
  const me = (await api.get('/api/users/me')).body as { id: string };
  return { api, id: Number(me.id) };
}

/** Stores a message as the relay would (the payload is opaque to these routes). */
async function stored(from: number, to: number, n: number): Promise<number> {
  const pair = from < to ? `${from}:${to}` : `${to}:${from}`;
  const [result] = await server.testDb.database.pool.query(
    'INSERT INTO messages (sender_id, recipient_id, pair_key, client_message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, NOW(3))',
    [from, to, pair, `c${from}-${n}`, '{}'],
  );
  return (result as { insertId: number }).insertId;
}

describe('read marks', () => {
  it('move up only, only to a message of that conversation, and are listed with the conversations', async () => {
    const [alice, bob, carol] = [await user('rmalice'), await user('rmbob'), await user('rmcarol')];
    const ids = [await stored(alice.id, bob.id, 1), await stored(alice.id, bob.id, 2)];
    const other = await stored(alice.id, carol.id, 3);
    const mark = async () =>
      (
        (await bob.api.get('/api/conversations')).body.conversations as {
          peer: { id: string };
          lastReadId: number;
        }[]
      ).find((c) => c.peer.id === String(alice.id))?.lastReadId;
    expect(await mark()).toBe(0);

    const read = (lastReadId: unknown, api = bob.api, peer = alice.id) =>
      api.post(`/api/conversations/${peer}/read`, { lastReadId });
    expect((await read(ids[1])).status).toBe(204);
    expect(await mark()).toBe(ids[1]);
    // Never back: another browser that read less does not undo it.
    expect((await read(ids[0])).status).toBe(204);
    expect(await mark()).toBe(ids[1]);

    // Another conversation's message, a missing one, oneself, bad bodies: refused, no change.
    expect((await read(other)).status).toBe(404);
    expect((await read(ids[1] as number, bob.api, bob.id)).status).toBe(404);
    expect((await read(999_999_999)).status).toBe(404);
    for (const bad of [0, -1, 1.5, '3', null]) expect((await read(bad)).status).toBe(400);
    expect(
      (await bob.api.post(`/api/conversations/${alice.id}/read`, { lastReadId: ids[0], x: 1 }))
        .status,
    ).toBe(400);
    expect(
      (
        await bob.api.post(
          `/api/conversations/${alice.id}/read`,
          { lastReadId: ids[0] },
          {
            'x-csrf-token': 'wrong',
          },
        )
      ).status,
    ).toBe(403);
    expect(await mark()).toBe(ids[1]);
    // Alice's own mark is hers alone.
    const aliceMark = (
      (await alice.api.get('/api/conversations')).body.conversations as {
        peer: { id: string };
        lastReadId: number;
      }[]
    ).find((c) => c.peer.id === String(bob.id))?.lastReadId;
    expect(aliceMark).toBe(0);
  });
});
