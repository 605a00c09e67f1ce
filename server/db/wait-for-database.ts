/**
 * Start-up's wait for the database (in compose it may start after the app, or be restarted):
 * try, and while it is unreachable try again every second, for as long as it takes, writing one
 * short line (no stack) about every 10 s. An error that is not about reaching the database (a
 * broken migration, say) ends the wait at once: retrying would not help.
 */
import type { Logger } from '../logger.js';
import { databaseErrorSummary, isDatabaseUnavailable } from './errors.js';

export const WAIT_RETRY_MS = 1_000;
export const WAIT_LOG_INTERVAL_MS = 10_000;

export interface WaitDeps {
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Which errors mean "not reachable yet" (default: isDatabaseUnavailable). */
  isTransient?: (error: unknown) => boolean;
}

export async function waitForDatabase(
  step: () => Promise<void>,
  what: string,
  deps: WaitDeps,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const isTransient = deps.isTransient ?? isDatabaseUnavailable;
  const startedAt = now();
  let loggedAt: number | undefined;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      await step();
      if (loggedAt !== undefined) {
        deps.logger.info(`database reached: ${what}`, {
          attempts,
          waitedSeconds: Math.round((now() - startedAt) / 1000),
        });
      }
      return;
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (loggedAt === undefined || now() - loggedAt >= WAIT_LOG_INTERVAL_MS) {
        loggedAt = now();
        deps.logger.warn(`waiting for the database: ${what}`, {
          attempts,
          waitedSeconds: Math.round((loggedAt - startedAt) / 1000),
          reason: databaseErrorSummary(error),
        });
      }
      await sleep(WAIT_RETRY_MS);
    }
  }
}
