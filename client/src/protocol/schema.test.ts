import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_PLAINTEXT_BYTES, MAX_WIRE_CHARS } from './constants.js';
import { toBase64Url } from './encoding.js';
import { type ProtocolMessage, parseMessage, serializeMessage } from './schema.js';

const point = () => {
  const bytes = new Uint8Array(97).fill(7);
  bytes[0] = 0x04;
  return toBase64Url(bytes);
};
const b64 = (length: number, fill = 1) => toBase64Url(new Uint8Array(length).fill(fill));
const iv = (counter: number) => toBase64Url(new Uint8Array([...new Array(11).fill(0), counter]));

/** One valid example of each type, as JSON objects (what docs/protocol.md shows). */
const examples: Record<ProtocolMessage['type'], Record<string, unknown>> = {
  'kx-offer': {
    v: 1,
    type: 'kx-offer',
    from: 'alice',
    to: 'bob',
    key: point(),
    sentAt: 1_768_478_400_000,
  },
  'kx-reply': {
    v: 1,
    type: 'kx-reply',
    from: 'bob',
    to: 'alice',
    xid: b64(16),
    key: point(),
    sentAt: 1_768_478_401_000,
  },
  msg: {
    v: 1,
    type: 'msg',
    from: 'alice',
    to: 'bob',
    xid: b64(16),
    salt: 1,
    iv: iv(1),
    ct: b64(5),
    tag: b64(16),
    mac: b64(32),
  },
  change: {
    v: 1,
    type: 'change',
    from: 'alice',
    to: 'bob',
    xid: b64(16),
    salt: 2,
    lastIv: iv(0),
    macOld: b64(32),
    macNew: b64(32, 2),
  },
};

describe('parseMessage', () => {
  test.each(Object.keys(examples))(
    'accepts a valid %s and serializes it back identically',
    (type) => {
      const json = JSON.stringify(examples[type as ProtocolMessage['type']]);
      const parsed = parseMessage(json);
      expect(parsed?.type).toBe(type);
      expect(serializeMessage(parsed!)).toBe(json);
      // The already-parsed object is accepted too.
      expect(parseMessage(JSON.parse(json))).toEqual(parsed);
    },
  );

  test.each(Object.keys(examples))(
    'rejects a %s with a field missing, added, or of the wrong type',
    (type) => {
      const example = examples[type as ProtocolMessage['type']];
      for (const field of Object.keys(example)) {
        const { [field]: _dropped, ...missing } = example;
        expect(parseMessage(missing), `without ${field}`).toBeNull();
        expect(parseMessage({ ...example, [field]: null }), `${field}: null`).toBeNull();
        expect(parseMessage({ ...example, [field]: [example[field]] }), `${field}: []`).toBeNull();
      }
      expect(parseMessage({ ...example, extra: 1 })).toBeNull();
      expect(parseMessage({ ...example, v: 2 })).toBeNull();
      expect(parseMessage({ ...example, to: example.from })).toBeNull();
      expect(parseMessage({ ...example, from: 'al ice' })).toBeNull();
      expect(parseMessage({ ...example, from: 'a'.repeat(65) })).toBeNull();
    },
  );

  test('rejects wrong byte lengths and out-of-range counters', () => {
    const { msg, change } = examples;
    expect(parseMessage({ ...msg, iv: b64(11) })).toBeNull();
    expect(parseMessage({ ...msg, iv: iv(0) })).toBeNull(); // message counters start at 1
    expect(parseMessage({ ...msg, iv: b64(12, 0xff) })).toBeNull(); // beyond 2^53
    expect(parseMessage({ ...msg, tag: b64(12) })).toBeNull(); // only 128-bit tags
    expect(parseMessage({ ...msg, mac: b64(31) })).toBeNull();
    expect(parseMessage({ ...msg, xid: b64(15) })).toBeNull();
    expect(parseMessage({ ...msg, salt: 0 })).toBeNull();
    expect(parseMessage({ ...msg, salt: 1.5 })).toBeNull();
    expect(parseMessage({ ...msg, salt: '1' })).toBeNull();
    expect(parseMessage({ ...msg, ct: b64(MAX_PLAINTEXT_BYTES + 1) })).toBeNull();
    expect(parseMessage({ ...msg, ct: 'AA==' })).toBeNull();
    expect(parseMessage({ ...change, salt: 1 })).toBeNull(); // a change leads to epoch 2 or later
    const notAPoint = new Uint8Array(97);
    notAPoint[0] = 0x02;
    expect(parseMessage({ ...examples['kx-offer'], key: toBase64Url(notAPoint) })).toBeNull();
    expect(parseMessage({ ...examples['kx-offer'], sentAt: -1 })).toBeNull();
  });

  test('rejects non-objects, bad JSON and oversized text before parsing', () => {
    for (const input of [null, undefined, 1, 'msg', [], '[]', '{', '{"type":"msg"}', '"x"']) {
      expect(parseMessage(input)).toBeNull();
    }
    const big = JSON.stringify({ ...examples.msg, ct: b64(25_000) });
    expect(big.length).toBeGreaterThan(MAX_WIRE_CHARS);
    expect(parseMessage(big)).toBeNull();
    expect(parseMessage(JSON.stringify({ ...examples.msg, type: 'MSG' }))).toBeNull();
    const withProto = `${JSON.stringify(examples.msg).slice(0, -1)},"__proto__":{"v":1}}`;
    expect(parseMessage(withProto)).toBeNull();
  });

  test('never throws on arbitrary input, and accepts only what re-serializes to itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.jsonValue(),
          fc.record({
            v: fc.constantFrom(1, 2),
            type: fc.constantFrom('msg', 'change', 'kx-offer', 'kx-reply', 'x'),
            from: fc.constantFrom('alice', 'bob', ''),
            to: fc.constantFrom('alice', 'bob'),
            xid: fc.constantFrom(b64(16), b64(15), ''),
            salt: fc.integer({ min: -1, max: 3 }),
            iv: fc.constantFrom(iv(1), iv(0), b64(12, 0xff)),
            ct: fc.constantFrom('', b64(3), '*'),
            tag: fc.constantFrom(b64(16), b64(15)),
            mac: fc.constantFrom(b64(32), b64(33)),
          }),
        ),
        (input) => {
          const parsed = parseMessage(input);
          if (parsed !== null) {
            const json = serializeMessage(parsed);
            expect(parseMessage(json)).toEqual(parsed);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
