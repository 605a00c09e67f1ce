/**
 * The network messages between two users and the validator every received message goes
 * through before any crypto runs: the contract's (contract/protocol.ts), the same one the relay
 * checks each message with before it stores it.
 */
export {
  type ChangeMessage,
  type ChatMessage,
  isUserId,
  type KeyOffer,
  type KeyReply,
  type ProtocolMessage,
  parseMessage,
  serializeMessage,
} from '../../../contract/protocol.js';
