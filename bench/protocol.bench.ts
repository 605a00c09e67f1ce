/**
 * The E2EE protocol in Node's WebCrypto: encrypt+decrypt of 1 KiB messages and decrypting a
 * 1,000-message history, each as a ratio against raw AES-256-GCM on the same bytes (no MAC, no
 * JSON, no keystore) measured in the same run.
 */
import { createKeystore } from '../client/src/keystore/keystore.js';
import { createMemoryLocks } from '../client/src/keystore/locks.js';
import { createMemoryStorage } from '../client/src/keystore/storage.js';
import { silentCryptoLog } from '../client/src/protocol/crypto-log.js';
import { type Conversation, createConversation } from '../client/src/protocol/index.js';
import { importDirectionKeys, sealMessage } from '../client/src/protocol/message-crypto.js';
import { openMessage } from '../client/src/protocol/test-support.js';
import { type Benchmark, formatMs, report, time } from './lib.js';

const KIB = 1024;
const HISTORY = 1_000;

/** 1 KiB of printable ASCII (so 1 KiB of UTF-8), different each call. */
function kibText(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(KIB));
  return Array.from(bytes, (b) => String.fromCharCode(33 + (b % 94))).join('');
}

function openParty(self: string, peer: string, storage = createMemoryStorage()) {
  const store = createKeystore({ storage, locks: createMemoryLocks(), userId: self }).conversation(
    peer,
  );
  const chat = createConversation({ self, peer, store, now: () => Date.now() });
  return { chat, storage };
}

async function connected(): Promise<{
  alice: ReturnType<typeof openParty>;
  bob: ReturnType<typeof openParty>;
}> {
  const alice = openParty('alice', 'bob');
  const bob = openParty('bob', 'alice');
  const offer = await alice.chat.startKeyExchange();
  if (offer.kind !== 'offer') throw new Error('no offer');
  const reply = await bob.chat.receive(offer.offer);
  if (reply.kind !== 'exchange-reply') throw new Error('no reply');
  await alice.chat.receive(reply.reply);
  return { alice, bob };
}

async function encryptWire(chat: Conversation, text: string): Promise<string> {
  const sent = await chat.encrypt(text);
  if (sent.kind !== 'encrypted') throw new Error(sent.kind);
  return sent.wire;
}

const benchmark: Benchmark = {
  title: 'E2EE protocol (WebCrypto in Node)',
  async run() {
    const text = kibText();
    const plaintext = new TextEncoder().encode(text);
    const rawKey = crypto.getRandomValues(new Uint8Array(32));
    const aes = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    let counter = 0;
    const ivOf = (n: number) => {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, n);
      return iv;
    };

    // Baseline: AES-256-GCM encrypt then decrypt of 1 KiB, key already imported.
    const rawGcm = await time(async () => {
      counter += 1;
      const iv = ivOf(counter);
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, aes, plaintext);
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, aes, sealed);
    });
    report('baseline: raw AES-256-GCM encrypt+decrypt 1 KiB', `${formatMs(rawGcm.medianMs)}/op`);

    // The message layer alone: AES-GCM + HMAC both ways, no JSON, no keystore.
    const handles = await importDirectionKeys({
      encryption: rawKey,
      mac: crypto.getRandomValues(new Uint8Array(32)),
    });
    const address = { from: 'alice', to: 'bob', xid: 'AAAAAAAAAAAAAAAAAAAAAA', salt: 1 };
    let sealedCounter = 0;
    const layer = await time(async () => {
      sealedCounter += 1;
      const message = await sealMessage(address, handles, sealedCounter, text, silentCryptoLog);
      await openMessage(message, handles, silentCryptoLog);
    });
    report('message layer: seal+open 1 KiB (GCM + HMAC)', `${formatMs(layer.medianMs)}/op`, {
      of: 'baseline',
      times: layer.medianMs / rawGcm.medianMs,
    });

    // The whole path the UI takes: encrypt (locked counter reservation, keystore write, JSON)
    // and receive (validate, MAC, IV check, decrypt, keystore write).
    const { alice, bob } = await connected();
    const full = await time(async () => {
      const outcome = await bob.chat.receive(await encryptWire(alice.chat, text));
      if (outcome.kind !== 'plaintext') throw new Error(outcome.kind);
    });
    report(
      'conversation: encrypt+receive 1 KiB',
      `${formatMs(full.medianMs)}/op, ${((full.opsPerSecond * KIB) / 1024 / 1024).toFixed(2)} MiB/s`,
      { of: 'baseline', times: full.medianMs / rawGcm.medianMs },
    );

    // A 1,000-message history, re-read by a freshly opened tab over the stored keys.
    const fresh = await connected();
    const history: string[] = [];
    for (let i = 0; i < HISTORY; i += 1) {
      const from = i % 3 === 2 ? fresh.bob.chat : fresh.alice.chat; // both directions
      history.push(await encryptWire(from, kibText()));
    }
    const snapshot = [...fresh.bob.storage.entries()];
    const rawHistory = await time(
      async () => {
        for (let i = 1; i <= HISTORY; i += 1) {
          const sealed = await crypto.subtle.encrypt(
            { name: 'AES-GCM', iv: ivOf(i) },
            aes,
            plaintext,
          );
          await crypto.subtle.decrypt({ name: 'AES-GCM', iv: ivOf(i) }, aes, sealed);
        }
      },
      { minSamples: 5, warmup: 1 },
    );
    const decryptHistory = await time(
      async () => {
        const storage = createMemoryStorage();
        for (const [key, value] of snapshot) storage.setItem(key, value);
        const reader = openParty('bob', 'alice', storage);
        const outcomes = await reader.chat.decryptHistory(
          history.map((payload, i) => ({ id: i + 1, payload })),
        );
        if (outcomes.some((o) => o.kind !== 'plaintext')) throw new Error('history not readable');
      },
      { minSamples: 5, warmup: 1 },
    );
    report(`baseline: raw AES-GCM encrypt+decrypt × ${HISTORY}`, formatMs(rawHistory.medianMs));
    report(`decryptHistory of ${HISTORY} × 1 KiB messages`, formatMs(decryptHistory.medianMs), {
      of: 'baseline',
      times: decryptHistory.medianMs / rawHistory.medianMs,
    });
  },
};

export default benchmark;
