import { Hono } from 'hono';
import { z } from 'zod';
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

export function cspReportRoutes(logger: Logger) {
  return new Hono().post('/api/csp-reports', async (c) => {
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
