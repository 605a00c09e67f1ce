/**
 * The contract's run-time values held against both halves: every API error code the server
 * sends is listed and every listed one is sent (no stale entries), every relay refusal code is
 * one the relay uses and the browser classifies, the close code the server ends a session's
 * sockets with is the one the browser's relay client takes as "signed out", and the relay and
 * the browser accept and refuse the same protocol messages, the largest of which fits a frame.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { parseMessage as browserParses } from '../client/src/protocol/index.js';
import { createRelayClient, type WebSocketLike } from '../client/src/services/chat-relay.js';
import { createLiveSocketRegistry } from '../server/auth/live-sockets.js';
import { checkEnvelope } from '../server/chat/envelope.js';
import { type ApiErrorCode, apiErrorMessages, apiErrors, isApiErrorCode } from './api-errors.js';
import { toBase64Url } from './encoding.js';
import {
  MAX_PLAINTEXT_BYTES,
  MAX_WIRE_CHARS,
  type ProtocolMessage,
  serializeMessage,
} from './protocol.js';
import {
  CLOSE_CODES,
  type ClientFrame,
  isPermanentRefusal,
  MAX_FRAME_BYTES,
  type RelayErrorCode,
  relayErrors,
} from './relay.js';

const repoRoot = join(import.meta.dirname, '..');

function productionFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.endsWith('.test.ts') && !path.includes('/test/'));
}

/** Every string literal in a folder's production code. */
function stringLiterals(folder: string): Set<string> {
  const found = new Set<string>();
  for (const path of productionFiles(folder)) {
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
        found.add(node.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

const codes = Object.keys(apiErrors) as ApiErrorCode[];

describe('API error codes', () => {
  test('each has a message, and the union has no code twice', () => {
    expect(codes.length).toBeGreaterThan(30);
    for (const code of codes) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(apiErrorMessages[code].length, code).toBeGreaterThan(10);
      expect(isApiErrorCode(code)).toBe(true);
    }
    expect(isApiErrorCode('no_such_code')).toBe(false);
    expect(isApiErrorCode('toString')).toBe(false);
  });

  test('every code but the client’s own is one the server sends (none is stale)', () => {
    const server = stringLiterals('server');
    const unsent = codes.filter((code) => !apiErrors[code].clientOnly && !server.has(code));
    expect(unsent).toEqual([]);
    const clientOnly = codes.filter((code) => apiErrors[code].clientOnly);
    expect(clientOnly).toEqual(['network']);
    expect(clientOnly.filter((code) => server.has(code))).toEqual([]);
  });
});

describe('relay refusal codes', () => {
  test('the relay uses each, and the browser resends exactly the transient ones', () => {
    const relayCodes = Object.keys(relayErrors) as RelayErrorCode[];
    const server = stringLiterals('server/chat');
    expect(relayCodes.filter((code) => !server.has(code))).toEqual([]);
    expect(relayCodes.filter((code) => !isPermanentRefusal(code))).toEqual([
      'too_many_pending',
      'relay_failed',
    ]);
    // A code the browser does not know (a newer server's) is retried, not taken as final.
    expect(isPermanentRefusal('something_new')).toBe(false);
  });

  test('the close code of an ended session makes the browser’s relay client sign out', () => {
    const registry = createLiveSocketRegistry();
    const closedWith: number[] = [];
    registry.add('session', { close: (code) => closedWith.push(code ?? 0) });
    registry.closeSessions(['session'], 'signed out');
    expect(closedWith).toEqual([CLOSE_CODES.sessionEnded]);

    const socket: WebSocketLike = {
      readyState: 1,
      send: () => {},
      close: () => {},
      onopen: null,
      onclose: null,
      onmessage: null,
      onerror: null,
    };
    const relay = createRelayClient({ url: 'ws://test/api/ws', openSocket: () => socket });
    try {
      socket.onmessage?.({ data: JSON.stringify({ type: 'hello', protocol: 1 }) } as MessageEvent);
      expect(relay.status()).toBe('open');
      socket.onclose?.({ code: closedWith[0] } as CloseEvent);
      expect(relay.status()).toBe('signed-out');
    } finally {
      relay.close();
    }
  });
});

describe('protocol messages', () => {
  const bytes = (length: number, first = 1) => {
    const out = new Uint8Array(length).fill(7);
    out[0] = first;
    return out;
  };
  const counter = (value: number) => {
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, value);
    return iv;
  };
  const xid = toBase64Url(bytes(16));
  const msg = (ciphertextBytes: number, iv = counter(1)): ProtocolMessage => ({
    type: 'msg',
    from: '12',
    to: '7',
    xid,
    salt: 1,
    iv,
    ciphertext: bytes(ciphertextBytes),
    tag: bytes(16),
    mac: bytes(32),
  });
  const offer = (firstKeyByte: number): ProtocolMessage => ({
    type: 'kx-offer',
    from: '12',
    to: '7',
    publicKey: bytes(97, firstKeyByte),
    sentAt: 1_768_478_400_000,
  });
  const text = (message: ProtocolMessage) => serializeMessage(message);
  /** A base64url field whose last character has a trailing bit set: not canonical. */
  const uncanonical = (wire: string, field: string) => {
    const value = JSON.parse(wire) as Record<string, string>;
    const field64 = value[field] ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(field64.slice(-1));
    value[field] = `${field64.slice(0, -1)}${alphabet[last | 1]}`;
    return JSON.stringify(value);
  };

  test('the relay and the browser accept and refuse the same messages', () => {
    const cases: [string, string, boolean][] = [
      ['a chat message', text(msg(20)), true],
      ['the largest chat message', text(msg(MAX_PLAINTEXT_BYTES)), true],
      ['a key offer', text(offer(0x04)), true],
      ['one byte too much ciphertext', text(msg(MAX_PLAINTEXT_BYTES + 1)), false],
      ['a public key that is no uncompressed point', text(offer(0x05)), false],
      ['message counter 0', text(msg(20, counter(0))), false],
      ['a MAC in non-canonical base64url', uncanonical(text(msg(20)), 'mac'), false],
      ['an extra field', text(msg(20)).replace('{', '{"extra":1,'), false],
      ['no JSON', '{"v":1', false],
    ];
    for (const [what, wire, valid] of cases) {
      expect(browserParses(wire) !== null, `browser: ${what}`).toBe(valid);
      expect(checkEnvelope(wire, 12, 7).ok, `relay: ${what}`).toBe(valid);
    }
    // A message to oneself is refused by both (the relay: from the socket's user, to itself).
    const toSelf = text({ ...msg(20), to: '12' } as ProtocolMessage);
    expect(browserParses(toSelf)).toBeNull();
    expect(checkEnvelope(toSelf, 12, 12).ok).toBe(false);
  });

  test('the largest valid message fits the wire bound and, as a send, the frame bound', () => {
    const largest = text(msg(MAX_PLAINTEXT_BYTES));
    expect(largest.length).toBeLessThanOrEqual(MAX_WIRE_CHARS);
    const frame: ClientFrame = {
      type: 'send',
      clientMessageId: 'x'.repeat(64),
      to: '9'.repeat(16),
      payload: largest,
    };
    expect(Buffer.byteLength(JSON.stringify(frame), 'utf8')).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });
});
