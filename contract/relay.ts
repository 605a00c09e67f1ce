/**
 * The live channel (GET /api/ws) between the browser and the chat relay: its frames, the codes
 * a refused send carries, the close codes, and the bounds both ends keep. The server validates
 * every client frame against these shapes (server/routes/live-channel.ts); the browser's relay
 * client (client/src/services/chat-relay.ts) reads the server's.
 */

import type { StoredMessage } from './chat.js';

/** The live channel's path. */
export const LIVE_CHANNEL_PATH = '/api/ws';

/** The `protocol` of the server's `hello`. */
export const LIVE_PROTOCOL = 1;

/** Largest frame the live channel accepts, in bytes (the ws server's maxPayload too). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Sends one socket may have waiting to be stored: a flood is refused, not queued without bound. */
export const MAX_PENDING_PER_SOCKET = 64;

/**
 * Close codes, in the application range (4000-4999), after the HTTP status they are like:
 * - session ended (401): reconnecting cannot help; the page signs out;
 * - too slow (408): the socket's unsent output passed the bound; reconnect and catch up;
 * - too many sockets (429): this session opened too many since; the oldest gives way;
 * - no answer: the browser dropped a connection that stopped answering.
 */
export const CLOSE_CODES = {
  sessionEnded: 4401,
  tooSlow: 4008,
  tooManySockets: 4429,
  noAnswer: 4000,
} as const;

interface RelayErrorEntry {
  /**
   * Whether sending the same frame again can help: a `transient` refusal is resent (same id, in
   * order) after a pause; a `permanent` one rejects the send.
   */
  retry: 'permanent' | 'transient';
  /** The session is gone: the send is no failure of its own (the page signs out). */
  sessionEnded?: true;
}

/** Why the relay refused a send, and what the browser does about it. */
const relayErrorEntries = {
  invalid_payload: { retry: 'permanent' },
  payload_too_large: { retry: 'permanent' },
  wrong_sender: { retry: 'permanent' },
  wrong_recipient: { retry: 'permanent' },
  unknown_recipient: { retry: 'permanent' },
  session_ended: { retry: 'permanent', sessionEnded: true },
  too_many_pending: { retry: 'transient' },
  relay_failed: { retry: 'transient' },
} satisfies Record<string, RelayErrorEntry>;

export type RelayErrorCode = keyof typeof relayErrorEntries;

export const relayErrors: Readonly<Record<RelayErrorCode, Readonly<RelayErrorEntry>>> =
  relayErrorEntries;

/** Whether a refusal with this code is final; any code not known (a newer server's) is not. */
export function isPermanentRefusal(code: unknown): code is RelayErrorCode {
  return (
    typeof code === 'string' &&
    Object.hasOwn(relayErrors, code) &&
    relayErrors[code as RelayErrorCode].retry === 'permanent'
  );
}

/** The code a send is refused with because the session ended (by the relay, or the browser). */
export const SESSION_ENDED_REFUSAL = 'session_ended' satisfies RelayErrorCode;

/** Whether a refusal only says the session ended (no failure of the message itself). */
export function refusedForSessionEnd(code: RelayErrorCode): boolean {
  return relayErrors[code].sessionEnded === true;
}

/** Frames the browser sends: pings (its own liveness check), and protocol messages to relay. */
export type ClientFrame =
  | { type: 'ping'; id?: string }
  | {
      type: 'send';
      /** Chosen by the sender, `[A-Za-z0-9_-]{1,64}`: a resend under the same id is stored once. */
      clientMessageId: string;
      /** The recipient's user id, decimal. */
      to: string;
      /** The protocol message's JSON text (contract/protocol.ts). */
      payload: string;
    };

export type SendFrame = Extract<ClientFrame, { type: 'send' }>;

/** The relay's answers to a send, and the messages it delivers. */
export type RelayFrame =
  /**
   * Stored: `id` is the message's place in the conversation, `at` when it was stored. A resend
   * of a message already stored under its client id is not stored again; when the stored copy
   * differs from the one just sent (the browser encrypted the text again, under a new counter,
   * after a reload), `storedPayload` is that copy: the one the conversation holds.
   */
  | { type: 'ack'; clientMessageId: string; id: number; at: string; storedPayload?: string }
  | ({ type: 'message' } & StoredMessage)
  | { type: 'error'; code: RelayErrorCode; message: string; clientMessageId: string };

/** Codes of a frame the live channel could not read at all (no send is named). */
export type FrameErrorCode = 'invalid_frame' | 'frame_too_large';

/** Every frame the server sends. */
export type ServerFrame =
  | { type: 'hello'; protocol: typeof LIVE_PROTOCOL }
  | { type: 'pong'; id?: string }
  | { type: 'error'; code: FrameErrorCode; message: string }
  | RelayFrame;
