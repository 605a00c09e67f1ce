import { Hono } from 'hono';
import { z } from 'zod';
import { createTokenBucketLimiter } from '../auth/rate-limit.js';
import type { Clock } from '../clock.js';
import { ipRateLimit } from '../http/ip-rate-limit.js';
import { readJsonBody } from '../http/validation.js';
import type { Logger } from '../logger.js';

/**
 * POST /api/csp-reports: browsers report Content-Security-Policy violations here (the CSP's
 * report-uri), so an attempted injection or a broken page shows up in the server log.
 */
const text = z.string().max(2048).optional();
const cspReportSchema = z.object({
  'csp-report': z
    .object({
      'document-uri': text,
      'violated-directive': text,
      'effective-directive': text,
      'blocked-uri': text,
      'source-file': text,
      'line-number': z.number().int().optional(),
      disposition: text,
    })
    .passthrough(),
});

/**
 * Reports per client IP: a bucket of 30 refilling one every 2 s. Anyone may post a report, and
 * each becomes a log line, so an unbounded rate would let anyone fill the server's disk.
 */
export const CSP_REPORT_BUCKET = { capacity: 30, refillPerSecond: 0.5 };

export function cspReportRoutes(logger: Logger, clock: Clock) {
  const limit = ipRateLimit(createTokenBucketLimiter(CSP_REPORT_BUCKET, clock));
  return new Hono().post('/api/csp-reports', limit, async (c) => {
    const body = await readJsonBody(c, cspReportSchema, [
      'application/csp-report',
      'application/json',
    ]);
    const report = body['csp-report'];
    logger.warn('csp violation', {
      directive: report['effective-directive'] ?? report['violated-directive'],
      blocked: report['blocked-uri'],
      document: report['document-uri'],
      source: report['source-file'],
      line: report['line-number'],
    });
    return c.body(null, 204);
  });
}
