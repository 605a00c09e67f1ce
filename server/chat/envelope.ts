/**
 * The server's check of a protocol message (docs/protocol.md, "Network messages"): the
 * contract's validator (contract/protocol.ts), the very one the browser runs on every message it
 * receives, refuses anything that is not exactly one of the four shapes (canonical base64url,
 * exact byte lengths, bounded sizes); this adds that it is from the socket's user, to the
 * addressed user, and not too large, before it is stored. The server never decrypts: the browser
 * checks keys and MACs when it receives a message.
 */
import { MAX_WIRE_CHARS, type ProtocolMessage, parseMessage } from '../../contract/protocol.js';

/** The protocol's bound on a message's JSON text. */
export const MAX_PAYLOAD_CHARS = MAX_WIRE_CHARS;

export type Envelope = ProtocolMessage;

export type EnvelopeVerdict =
  | { ok: true; envelope: Envelope }
  | { ok: false; reason: 'too_large' | 'malformed' | 'wrong_sender' | 'wrong_recipient' };

/** Checks a payload a user sends to another user; the ids are the server's decimal user ids. */
export function checkEnvelope(
  payload: string,
  senderId: number,
  recipientId: number,
): EnvelopeVerdict {
  if (payload.length > MAX_PAYLOAD_CHARS) return { ok: false, reason: 'too_large' };
  const envelope = parseMessage(payload);
  if (envelope === null) return { ok: false, reason: 'malformed' };
  if (envelope.from !== String(senderId)) return { ok: false, reason: 'wrong_sender' };
  if (envelope.to !== String(recipientId)) return { ok: false, reason: 'wrong_recipient' };
  return { ok: true, envelope };
}
