/**
 * HTTP(S) requests to a stack on loopback under its real name: the TLS server name and Host
 * header are the domain, the connection goes to 127.0.0.1, and the certificate is checked
 * against the stack's CA (chain and name) like a browser would.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { TestStack } from './stack.js';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every header's raw values, to count repeats. */
  rawHeaders: string[];
  body: string;
}

export interface RequestOptions {
  /** https (default) or http */
  scheme?: 'https' | 'http';
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Connect from this loopback address (127.0.0.0/8), to appear as another client. */
  localAddress?: string;
}

export const loopback: LookupFunction = (_hostname, options, callback) => {
  if (typeof options === 'object' && options.all) {
    callback(null, [{ address: '127.0.0.1', family: 4 }]);
  } else {
    callback(null, '127.0.0.1', 4);
  }
};

export function request(stack: TestStack, options: RequestOptions = {}): Promise<Reply> {
  const scheme = options.scheme ?? 'https';
  const host = options.host ?? stack.domain;
  const port = scheme === 'https' ? stack.httpsPort : stack.httpPort;
  const common: http.RequestOptions = {
    host,
    port,
    path: options.path ?? '/',
    method: options.method ?? 'GET',
    headers: { ...options.headers },
    lookup: loopback,
    agent: false,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          rawHeaders: response.rawHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    };
    const outgoing =
      scheme === 'https'
        ? https.request(
            { ...common, ca: readFileSync(stack.caFile), servername: host, timeout: 10_000 },
            onResponse,
          )
        : http.request({ ...common, timeout: 10_000 }, onResponse);
    outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The values of one header, however many times it was sent. */
export function headerValues(reply: Reply, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < reply.rawHeaders.length; i += 2) {
    if (reply.rawHeaders[i]?.toLowerCase() === name.toLowerCase()) {
      values.push(reply.rawHeaders[i + 1] ?? '');
    }
  }
  return values;
}
