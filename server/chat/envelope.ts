/**
 * The server's view of a protocol message (docs/protocol.md, "Network messages"): enough to
 * refuse anything that is not one of the four shapes, not from the socket's user, not to the
 * addressed user or too large, before it is stored. The server never decrypts: the browser
 * runs the full check (canonical base64url, key validity, MACs) when it receives a message.
 */
import { z } from 'zod';

/** The protocol's bound on a message's JSON text. */
export const MAX_PAYLOAD_CHARS = 32_768;

/** base64url (no padding) of exactly `bytes` bytes. */
const b64 = (bytes: number) =>
  z
    .string()
    .length(Math.ceil((bytes * 4) / 3))
    .regex(/^[A-Za-z0-9_-]*$/);
/** Ciphertext: 0 to 16 384 bytes. */
const ciphertext = z
  .string()
  .max(Math.ceil((16_384 * 4) / 3))
  .regex(/^[A-Za-z0-9_-]*$/);
const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const sentAt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const salt = z.number().int().min(1).max(0xffff_ffff);
const head = { v: z.literal(1), from: userId, to: userId };

export const envelopeSchema = z.discriminatedUnion('type', [
  z.object({ ...head, type: z.literal('kx-offer'), key: b64(97), sentAt }).strict(),
  z.object({ ...head, type: z.literal('kx-reply'), xid: b64(16), key: b64(97), sentAt }).strict(),
  z
    .object({
      ...head,
      type: z.literal('msg'),
      xid: b64(16),
      salt,
      iv: b64(12),
      ct: ciphertext,
      tag: b64(16),
      mac: b64(32),
    })
    .strict(),
  z
    .object({
      ...head,
      type: z.literal('change'),
      xid: b64(16),
      salt: salt.min(2),
      lastIv: b64(12),
      macOld: b64(32),
      macNew: b64(32),
    })
    .strict(),
]);
export type Envelope = z.infer<typeof envelopeSchema>;

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
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  if (parsed.data.from !== String(senderId)) return { ok: false, reason: 'wrong_sender' };
  if (parsed.data.to !== String(recipientId)) return { ok: false, reason: 'wrong_recipient' };
  return { ok: true, envelope: parsed.data };
}
