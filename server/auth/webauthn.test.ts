import { describe, expect, it } from 'vitest';
import { relyingPartyFor } from './webauthn.js';

describe('relying party', () => {
  it('is the public origin’s hostname, and the origin exactly', () => {
    expect(relyingPartyFor('https://chat.example.org:8443')).toEqual({
      id: 'chat.example.org',
      origin: 'https://chat.example.org:8443',
      name: 'Parley',
    });
  });
});
