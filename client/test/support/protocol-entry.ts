// The browser-side API a Chromium test page needs: the protocol and the keystore.
export * from '../../src/keystore/index.js';
export * from '../../src/protocol/index.js';
