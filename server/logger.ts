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
