/**
 * The chat relay: takes a protocol message one signed-in user sends to another over the live
 * channel, checks it, stores it, and only then acknowledges it to the sending socket and
 * delivers it to every other open socket of both users (the recipient's tabs and the sender's
 * other tabs). Messages of one conversation are handled one at a time, in arrival order, so
 * delivery order is the order of the stored ids.
 *
 * The ordering contract (docs/architecture.md, "Chat relay"): for each sending socket and
 * conversation, frames are stored in arrival order or refused. After a transient refusal
 * (`relay_failed`, `too_many_pending`) every later frame of that socket and conversation is
 * refused with `relay_failed` until the socket sends the refused clientMessageId again, so a
 * client that resends in order never gets a later message stored before an earlier one.
 */

import {
  MAX_PENDING_PER_SOCKET,
  type RelayErrorCode,
  type RelayFrame,
  type SendFrame,
} from '../../contract/relay.js';
import type { Clock } from '../clock.js';
import type { ClusterBus } from '../cluster/cluster.js';
import { databaseErrorSummary, isDatabaseUnavailable } from '../db/errors.js';
import {
  type BatchInsertResult,
  type MessageRow,
  type MessageWriter,
  pairKeyOf,
} from '../db/message-store.js';
import { type Logger, throttleRepeats } from '../logger.js';
import { checkEnvelope } from './envelope.js';
import { storedMessageOf } from './stored-message.js';

/** A send (the live channel validated its shape), the refusal codes and the relay's frames. */
export type { RelayErrorCode, RelayFrame, SendFrame };

/** One open live-channel socket of a signed-in user. */
export interface RelayConnection {
  userId: number;
  sessionIdHash: string;
  send(frame: RelayFrame): void;
}

export interface ChatRelayDeps {
  /** The hot path's store (plain mysql2: db/message-store.ts createMessageWriter). */
  messages: MessageWriter;
  clock: Clock;
  logger: Logger;
  /** Stored messages to and from the sockets on the other instances (server/cluster/). */
  bus: ClusterBus;
  /**
   * Records a send as user activity of the session (NIST SP 800-63B §4.2.3: it is
   * user-initiated, unlike pings) and says whether the session is still alive.
   */
  touchSession(sessionIdHash: string): Promise<boolean>;
}

export interface ChatRelay {
  connect(connection: RelayConnection): void;
  disconnect(connection: RelayConnection): void;
  /** Handles one send; resolves once it is acknowledged (or refused) and delivered. */
  submit(connection: RelayConnection, frame: SendFrame): Promise<void>;
}

/** Sends one socket may have waiting to be stored: a flood is refused, not queued without bound. */
export { MAX_PENDING_PER_SOCKET };

/**
 * A session's sends are recorded as user activity at most once per this interval (the first
 * send after it has passed), so a message costs no session read or write on its way: the
 * socket's session was checked when it connected, the live channel's sweep re-checks it, and
 * revocations close its sockets at once. The 30-minute idle rule is thereby exact to within
 * this interval (docs/security.md).
 */
export const ACTIVITY_INTERVAL_MS = 60_000;

/** Identical relay failures are logged once per this interval, with a count. */
export const RELAY_LOG_INTERVAL_MS = 10_000;

/**
 * Where a socket's conversation stands after a transient refusal: the refused frame's arrival
 * number and client id. Frames that arrived after it are refused until that id comes again.
 */
interface Gap {
  seq: number;
  clientMessageId: string;
}

/** Rows one multi-row INSERT stores at most (32 KiB payloads: well under max_allowed_packet). */
export const MAX_BATCH_ROWS = 200;

/** A checked frame waiting for the next batch. */
interface Waiting {
  connection: RelayConnection;
  arrival: Arrival;
  done: () => void;
}

/** A frame of one socket, numbered in arrival order. */
interface Arrival {
  frame: SendFrame;
  seq: number;
  recipientId: number;
  key: string;
}

const MESSAGES: Record<RelayErrorCode, string> = {
  invalid_payload: 'The message is not a valid Parley protocol message.',
  payload_too_large: 'The message is too large.',
  wrong_sender: 'The message must name you as its sender.',
  wrong_recipient: 'The message must name the user it is sent to.',
  unknown_recipient: 'There is no such user.',
  session_ended: 'Your session ended. Sign in again to continue.',
  too_many_pending: 'Too many messages at once. Wait for the acknowledgements, then send again.',
  relay_failed: 'The message could not be stored. Send it again.',
};

export function createChatRelay(deps: ChatRelayDeps): ChatRelay {
  const byUser = new Map<number, Set<RelayConnection>>();
  const queues = new Map<string, Promise<void>>();
  const pending = new WeakMap<RelayConnection, number>();
  const arrivals = new WeakMap<RelayConnection, number>();
  const gaps = new WeakMap<RelayConnection, Map<string, Gap>>();
  /** When each session's activity was last recorded (sessions with an open socket only). */
  const activityAt = new Map<string, number>();
  const sockets = new Map<string, number>();
  const logger = throttleRepeats(deps.logger, {
    intervalMs: RELAY_LOG_INTERVAL_MS,
    now: () => deps.clock.now().getTime(),
  });

  const refuse = (connection: RelayConnection, frame: SendFrame, code: RelayErrorCode) =>
    safeSend(connection, {
      type: 'error',
      code,
      message: MESSAGES[code],
      clientMessageId: frame.clientMessageId,
    });

  /** Records a transient refusal: the earliest one of the socket and conversation wins. */
  const openGap = (connection: RelayConnection, arrival: Arrival) => {
    const byKey = gaps.get(connection) ?? new Map<string, Gap>();
    gaps.set(connection, byKey);
    const gap = byKey.get(arrival.key);
    if (!gap || arrival.seq < gap.seq) {
      byKey.set(arrival.key, { seq: arrival.seq, clientMessageId: arrival.frame.clientMessageId });
    }
  };

  /**
   * False when an earlier frame of this socket and conversation was refused and this is not
   * its resend; a resend closes the gap (and opens it again if it fails too).
   */
  const inOrder = (connection: RelayConnection, arrival: Arrival): boolean => {
    const byKey = gaps.get(connection);
    const gap = byKey?.get(arrival.key);
    if (!gap || arrival.seq < gap.seq) return true;
    if (arrival.seq > gap.seq && arrival.frame.clientMessageId === gap.clientMessageId) {
      byKey?.delete(arrival.key);
      return true;
    }
    return false;
  };

  /**
   * Sends a stored message to every open socket of its recipient and its sender, except the
   * socket that sent it (which gets the ack). Recipients de-duplicate by the server id.
   */
  const deliver = (row: MessageRow, except?: RelayConnection) => {
    const frame: RelayFrame = { type: 'message', ...storedMessageOf(row) };
    for (const userId of [row.recipientId, row.senderId]) {
      for (const connection of byUser.get(userId) ?? []) {
        if (connection !== except) safeSend(connection, frame);
      }
    }
  };

  const failed = (connection: RelayConnection, arrival: Arrival, error: unknown) => {
    openGap(connection, arrival);
    if (isDatabaseUnavailable(error)) {
      logger.warn('relay: database unavailable', { error: databaseErrorSummary(error) });
    } else {
      logger.error('relay failed', { error });
    }
    refuse(connection, arrival.frame, 'relay_failed');
  };

  /**
   * Group commit: the frames checked within one tick wait here and are stored together, one
   * batch at a time, so a batch's INSERT sees the gaps the previous batch's failures opened.
   */
  let batch: Waiting[] = [];
  let flushing = false;
  let scheduled = false;
  const schedule = () => {
    if (scheduled || flushing || batch.length === 0) return;
    scheduled = true;
    setImmediate(() => void flush());
  };
  const flush = async () => {
    scheduled = false;
    flushing = true;
    const items = batch.slice(0, MAX_BATCH_ROWS);
    batch = batch.slice(items.length);
    try {
      // The ordering contract, checked now: a frame behind a refused one waits for its resend.
      const ready = items.filter((item) => {
        if (inOrder(item.connection, item.arrival)) return true;
        refuse(item.connection, item.arrival.frame, 'relay_failed');
        return false;
      });
      if (ready.length === 0) return;
      const now = deps.clock.now();
      let results: BatchInsertResult[];
      try {
        // The messages table's foreign key tells an unknown recipient: no look-up per send.
        results = await deps.messages.insertMessages(
          ready.map(({ connection, arrival }) => ({
            senderId: connection.userId,
            recipientId: arrival.recipientId,
            clientMessageId: arrival.frame.clientMessageId,
            payload: arrival.frame.payload,
            now,
          })),
        );
      } catch (error) {
        results = ready.map(() => ({ outcome: 'failed', error }));
      }
      // The other instances have the messages before their acks: a send that follows an ack
      // (the sender's next, from any instance) reaches every subscriber after it. A resend goes
      // out again too (see below).
      await Promise.all(
        results.map((result) =>
          result.outcome === 'stored' || result.outcome === 'resent'
            ? deps.bus.publish({ kind: 'deliver', row: result.row })
            : undefined,
        ),
      );
      for (const [i, { connection, arrival }] of ready.entries()) {
        const result = results[i];
        if (!result || result.outcome === 'failed') {
          failed(connection, arrival, result?.error ?? new Error('no result'));
          continue;
        }
        if (result.outcome === 'unknown_recipient') {
          refuse(connection, arrival.frame, 'unknown_recipient');
          continue;
        }
        safeSend(connection, {
          type: 'ack',
          clientMessageId: arrival.frame.clientMessageId,
          id: result.row.id,
          at: result.row.createdAt.toISOString(),
          // The sender must know what was stored under the id, not what it sent this time.
          ...(result.outcome === 'resent' && result.row.payload !== arrival.frame.payload
            ? { storedPayload: result.row.payload }
            : {}),
        });
        // A resend of a stored message is delivered again too: the first attempt may have been
        // committed without being delivered (the connection or process died in between).
        deliver(result.row, connection);
      }
    } finally {
      for (const item of items) item.done();
      flushing = false;
      schedule();
    }
  };

  /**
   * Checks one frame (in arrival order within its conversation) and hands it to the next
   * batch; resolves once it is in the batch, with `stored` resolving after its ack or refusal.
   */
  const prepare = async (
    connection: RelayConnection,
    arrival: Arrival,
  ): Promise<{ stored: Promise<void> }> => {
    const settled = { stored: Promise.resolve() };
    const { frame, recipientId } = arrival;
    if (recipientId === connection.userId) {
      refuse(connection, frame, 'wrong_recipient');
      return settled;
    }
    const verdict = checkEnvelope(frame.payload, connection.userId, recipientId);
    if (!verdict.ok) {
      const code = verdict.reason === 'too_large' ? 'payload_too_large' : verdict.reason;
      refuse(connection, frame, code === 'malformed' ? 'invalid_payload' : code);
      return settled;
    }
    try {
      const now = deps.clock.now().getTime();
      const recorded = activityAt.get(connection.sessionIdHash);
      if (recorded === undefined || now - recorded >= ACTIVITY_INTERVAL_MS) {
        if (!(await deps.touchSession(connection.sessionIdHash))) {
          refuse(connection, frame, 'session_ended');
          return settled;
        }
        activityAt.set(connection.sessionIdHash, now);
      }
    } catch (error) {
      failed(connection, arrival, error);
      return settled;
    }
    return {
      stored: new Promise<void>((done) => {
        batch.push({ connection, arrival, done });
        schedule();
      }),
    };
  };

  deps.bus.subscribe((event) => {
    if (event.kind === 'deliver') deliver(event.row);
  });

  return {
    connect(connection) {
      const set = byUser.get(connection.userId) ?? new Set();
      set.add(connection);
      byUser.set(connection.userId, set);
      sockets.set(connection.sessionIdHash, (sockets.get(connection.sessionIdHash) ?? 0) + 1);
    },
    disconnect(connection) {
      const set = byUser.get(connection.userId);
      if (!set?.delete(connection)) return;
      if (set.size === 0) byUser.delete(connection.userId);
      const left = (sockets.get(connection.sessionIdHash) ?? 1) - 1;
      if (left > 0) sockets.set(connection.sessionIdHash, left);
      else {
        sockets.delete(connection.sessionIdHash);
        activityAt.delete(connection.sessionIdHash);
      }
    },
    submit(connection, frame) {
      const seq = (arrivals.get(connection) ?? 0) + 1;
      arrivals.set(connection, seq);
      // The live channel's frame schema made `to` a decimal id.
      const recipientId = Number(frame.to);
      const key = pairKeyOf(connection.userId, recipientId);
      const arrival: Arrival = { frame, seq, recipientId, key };
      const waiting = pending.get(connection) ?? 0;
      if (waiting >= MAX_PENDING_PER_SOCKET) {
        openGap(connection, arrival);
        refuse(connection, frame, 'too_many_pending');
        return Promise.resolve();
      }
      pending.set(connection, waiting + 1);
      const previous = queues.get(key) ?? Promise.resolve();
      // The conversation's queue holds a frame only until it is in a batch, so the frames of
      // one tick are stored together; the batches keep their order.
      const prepared = previous.then(() => prepare(connection, arrival));
      const queued = prepared.then(
        () => undefined,
        () => undefined,
      );
      queues.set(key, queued);
      const next = prepared
        .then((p) => p.stored)
        .catch((error: unknown) => failed(connection, arrival, error));
      void queued.then(() => {
        if (queues.get(key) === queued) queues.delete(key);
      });
      void next.then(() => {
        pending.set(connection, (pending.get(connection) ?? 1) - 1);
      });
      return next;
    },
  };
}

function safeSend(connection: RelayConnection, frame: RelayFrame): void {
  try {
    connection.send(frame);
  } catch {
    // The socket closed meanwhile: the message is stored, history will show it.
  }
}
