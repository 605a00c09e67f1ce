// The browser-side API a Chromium test page needs: the protocol and the keystore.
export * from '../../client/src/keystore/index.js';
export * from '../../client/src/protocol/index.js';
