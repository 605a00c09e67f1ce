/**
 * Parley's end-to-end encryption protocol: the API the chat UI and the keystore use.
 * Pure: no DOM, no network, no storage of its own; only WebCrypto and the state handed in.
 */
export {
  type Conversation,
  type ConversationOptions,
  type ConversationStatus,
  createConversation,
  type EncryptOutcome,
  type ExchangeIgnoredReason,
  type ReceiptOutcome,
  type ReceiveOutcome,
  type RefreshOutcome,
  type StartOutcome,
} from './conversation.js';
export {
  type CryptoLog,
  type CryptoLogOptions,
  createCryptoLog,
  silentCryptoLog,
} from './crypto-log.js';
export { AuthenticationError } from './errors.js';
export type { ReceiptMarks, ReceiptState } from './receipts.js';
export { isUserId, type ProtocolMessage, parseMessage } from './schema.js';
export {
  type ConversationRecord,
  type ConversationStore,
  type EpochRecord,
  type EpochRef,
  type ExchangeRecord,
  emptyConversation,
  epochKey,
  type PendingOffer,
  type StoredDirectionKeys,
  type StoredKeyPair,
} from './state.js';
