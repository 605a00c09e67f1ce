/**
 * The contract's run-time values held against both halves: every API error code the server
 * sends is listed and every listed one is sent (no stale entries), every relay refusal code is
 * one the relay uses and the browser classifies, and the close code the server ends a session's
 * sockets with is the one the browser's relay client takes as "signed out".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { createRelayClient, type WebSocketLike } from '../client/src/services/chat-relay.js';
import { createLiveSocketRegistry } from '../server/auth/live-sockets.js';
import { type ApiErrorCode, apiErrorMessages, apiErrors, isApiErrorCode } from './api-errors.js';
import { CLOSE_CODES, isPermanentRefusal, type RelayErrorCode, relayErrors } from './relay.js';

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
