import { Hono } from 'hono';
import type { UpgradeWebSocket as HonoUpgradeWebSocket, WSContext } from 'hono/ws';
import { z } from 'zod';
import type { Logger } from '../logger.js';

// biome-ignore lint/suspicious/noExplicitAny: the Node adapter's socket and option types vary.
export type UpgradeWebSocket = HonoUpgradeWebSocket<any, any>;

/** Largest frame the live channel accepts; the ws server enforces it too (maxPayload). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Frames a client may send. The chat relay adds its frame types here. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }).strict(),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export type ServerFrame =
  | { type: 'hello'; protocol: 1 }
  | { type: 'pong'; id?: string }
  | { type: 'error'; code: 'invalid_frame' | 'frame_too_large'; message: string };

/** Parses one text frame; every malformed frame gets the same clear answer and changes nothing. */
export function parseClientFrame(data: unknown): ClientFrame | ServerFrame {
  if (typeof data !== 'string') {
    return { type: 'error', code: 'invalid_frame', message: 'Frames must be JSON text' };
  }
  if (Buffer.byteLength(data, 'utf8') > MAX_FRAME_BYTES) {
    return {
      type: 'error',
      code: 'frame_too_large',
      message: `Frames are limited to ${MAX_FRAME_BYTES} bytes`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { type: 'error', code: 'invalid_frame', message: 'Frames must be JSON text' };
  }
  const parsed = clientFrameSchema.safeParse(raw);
  if (!parsed.success) {
    return { type: 'error', code: 'invalid_frame', message: 'Unknown or malformed frame' };
  }
  return parsed.data;
}

function send(ws: WSContext, frame: ServerFrame) {
  ws.send(JSON.stringify(frame));
}

/** GET /api/ws: the live channel the chat relay will use. For now it greets and answers pings. */
export function liveChannelRoutes(deps: { upgradeWebSocket: UpgradeWebSocket; logger: Logger }) {
  return new Hono().get(
    '/api/ws',
    deps.upgradeWebSocket(() => ({
      onOpen(_event, ws) {
        send(ws, { type: 'hello', protocol: 1 });
      },
      onMessage(event, ws) {
        const frame = parseClientFrame(event.data);
        if (frame.type === 'ping')
          send(ws, { type: 'pong', ...(frame.id ? { id: frame.id } : {}) });
        else if (frame.type === 'error') send(ws, frame);
      },
      onError(error) {
        deps.logger.warn('websocket error', { error });
      },
    })),
  );
}
