import { describe, expect, it } from 'vitest';
import { checkEnvelope, MAX_PAYLOAD_CHARS } from './envelope.js';

// The wire forms of docs/protocol.md's known-answer vectors, with the server's numeric ids.
const offer = {
  v: 1,
  type: 'kx-offer',
  from: '12',
  to: '7',
  key: 'BIg0ourvJuizdEaZ6fPbpN7MjR2K62lupE1rt9-6CSMeZ6Y9Mj3bHyKzNgS_2wt0iymbvi9DatDc9FK9wwGSNMFQBp0fJx2oWnAMOM3Jkq9Ya-Tdg0XE_myTvIS2r9R0MA',
  sentAt: 1768478400000,
};
const reply = {
  v: 1,
  type: 'kx-reply',
  from: '12',
  to: '7',
  xid: 'IUTEf3HDncnPxk8oFZjrJw',
  key: 'BE6Q5q13xrBhfo5xUZkzPd1X4jVJWAESqIStWgiawR14Ic9dAKDIu0KRp55cbUl2oiHu5JN0DO8o8YELLhzH47DZiEQCWuasiRN-gdRN6ZSQ18btCxGc1NMeKOAXphIC4A',
  sentAt: 1768478401000,
};
const msg = {
  v: 1,
  type: 'msg',
  from: '12',
  to: '7',
  xid: 'IUTEf3HDncnPxk8oFZjrJw',
  salt: 1,
  iv: 'AAAAAAAAAAAAAAAB',
  ct: 'J61_zoMm2-VXLaSeAJNbAg5cj08Z2TXfcQg',
  tag: '3TP3e9JQk33vDBmCmO1zjA',
  mac: 'wPfgNwn3E-qEIxpEcPJ2ixDLj-i-LdroaoIf6JWXK5w',
};
const change = {
  v: 1,
  type: 'change',
  from: '12',
  to: '7',
  xid: 'IUTEf3HDncnPxk8oFZjrJw',
  salt: 2,
  lastIv: 'AAAAAAAAAAAAAAAB',
  macOld: 'w6VPodKxTOhCXzdcujzpyIKinI8mb8fHtHCWBdlsQGU',
  macNew: 'lNNr3AjCsm8k1BcBdQ0FG5kic8M5TYKIMfzlBx7zngE',
};

const check = (value: unknown, from = 12, to = 7) => checkEnvelope(JSON.stringify(value), from, to);

describe('the server-side envelope check', () => {
  it('accepts the four protocol messages', () => {
    for (const message of [offer, reply, msg, change]) {
      expect(check(message)).toMatchObject({ ok: true, envelope: { type: message.type } });
    }
  });

  it('refuses other shapes, senders, recipients and sizes', () => {
    expect(checkEnvelope('{', 12, 7)).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...msg, extra: 1 })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...msg, v: 2 })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...msg, type: 'text', text: 'hello' })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(check({ ...msg, iv: 'AAAA' })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...msg, mac: `${msg.mac.slice(1)}+` })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(check({ ...msg, salt: 0 })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...change, salt: 1 })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...offer, key: offer.key.slice(2) })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    const { sentAt: _, ...noSentAt } = offer;
    expect(check(noSentAt)).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...msg, ct: 'A'.repeat(21_848) })).toEqual({ ok: false, reason: 'malformed' });
    expect(check(msg, 13, 7)).toEqual({ ok: false, reason: 'wrong_sender' });
    expect(check(msg, 12, 8)).toEqual({ ok: false, reason: 'wrong_recipient' });
    const padded = JSON.stringify(msg) + ' '.repeat(MAX_PAYLOAD_CHARS);
    expect(checkEnvelope(padded, 12, 7)).toEqual({ ok: false, reason: 'too_large' });
  });
});
