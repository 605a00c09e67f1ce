/**
 * Structured logging: one JSON object per line in production, a readable line in development.
 * Field names that look like secrets are redacted before anything is written, so a careless
 * call cannot put a password, token or key into the server log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  format: 'json' | 'pretty';
  level: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secretFieldPattern =
  /pass(word|phrase)?|secret|token|cookie|authorization|pepper|captcha_?answer|recovery_?code|private_?key|^key$/i;

export const REDACTED = '[redacted]';

/**
 * Replaces the value of every secret-looking field, at any depth, with a marker. An error keeps
 * its name, message, stack and cause; a failed query's bound values (drizzle writes them into
 * the message and stack: a session's CSRF token, a password hash, a CAPTCHA hash) are dropped.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = secretFieldPattern.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

function redactError(error: Error, depth: number): Record<string, unknown> {
  let { message, stack } = error;
  const failed = error as Error & { query?: unknown; params?: unknown };
  if (typeof failed.query === 'string' && Array.isArray(failed.params)) {
    message = `Failed query: ${failed.query}\nparams: ${REDACTED}`;
    stack = stack?.replace(error.message, message);
  }
  return {
    name: error.name,
    message,
    stack,
    ...(error.cause === undefined ? {} : { cause: redact(error.cause, depth + 1) }),
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const minimum = levelRank[options.level];

  const log = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (levelRank[level] < minimum) return;
    const safe = redact(fields) as LogFields;
    const time = now().toISOString();
    if (options.format === 'json') {
      write(JSON.stringify({ time, level, msg: message, ...safe }));
    } else {
      const extra = Object.keys(safe).length > 0 ? ` ${JSON.stringify(safe)}` : '';
      write(`${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${message}${extra}`);
    }
  };

  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** A logger that keeps its lines in memory: for tests that assert what was (not) logged. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ format: 'json', level, write: (line) => lines.push(line) });
  return Object.assign(logger, { lines });
}

export interface RepeatThrottleOptions {
  /** A warning or error identical to one logged less than this long ago is only counted. */
  intervalMs: number;
  now?: () => number;
  /** Runs the summary of a window when it ends; setTimeout (unref'd) unless given. */
  schedule?: (run: () => void, delayMs: number) => void;
}

/** Keys remembered at most: past it, windows with nothing left to report are forgotten. */
const MAX_THROTTLE_KEYS = 200;

/**
 * A logger that writes a warning or error at most once per interval for each kind (level,
 * message, and the error's name, code and first message line): the first one at once, the
 * repeats counted and reported in one line (`repeated: n`) when the interval ends. An outage
 * that fails every request thus writes one line per interval instead of one stack per request.
 */
export function throttleRepeats(logger: Logger, options: RepeatThrottleOptions): Logger {
  const now = options.now ?? Date.now;
  const schedule =
    options.schedule ??
    ((run: () => void, delayMs: number) => {
      setTimeout(run, delayMs).unref?.();
    });
  const windows = new Map<string, { endsAt: number; repeated: number; fields: LogFields }>();

  const report = (key: string, level: 'warn' | 'error', message: string) => {
    const window = windows.get(key);
    if (!window || window.repeated === 0) return;
    const { repeated, fields } = window;
    window.repeated = 0;
    window.endsAt = now() + options.intervalMs;
    logger[level](message, { ...fields, repeated, intervalMs: options.intervalMs });
    schedule(() => report(key, level, message), options.intervalMs);
  };

  const throttled =
    (level: 'warn' | 'error') =>
    (message: string, fields: LogFields = {}) => {
      const key = `${level}\u0000${message}\u0000${signatureOf(fields.error ?? fields.reason)}`;
      const window = windows.get(key);
      const at = now();
      if (window && at < window.endsAt) {
        if (window.repeated === 0) schedule(() => report(key, level, message), window.endsAt - at);
        window.repeated += 1;
        window.fields = fields;
        return;
      }
      if (windows.size >= MAX_THROTTLE_KEYS) {
        for (const [k, w] of windows) if (w.repeated === 0 && w.endsAt <= at) windows.delete(k);
      }
      windows.set(key, { endsAt: at + options.intervalMs, repeated: 0, fields });
      logger[level](message, fields);
    };

  return {
    debug: logger.debug,
    info: logger.info,
    warn: throttled('warn'),
    error: throttled('error'),
  };
}

function signatureOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Error)) {
    const { code, message } = value as { code?: unknown; message?: unknown };
    return `${String(code ?? '')}:${String(message ?? '')}`;
  }
  if (!(value instanceof Error)) return '';
  const parts: string[] = [];
  for (let e: unknown = value; e instanceof Error && parts.length < 8; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    parts.push(`${e.name}:${String(code ?? '')}:${e.message.split('\n')[0] ?? ''}`);
  }
  return parts.join('|');
}
