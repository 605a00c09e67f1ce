import { secureHeaders } from 'hono/secure-headers';

/**
 * Security headers on every response. The CSP allows only our own origin: no inline script or
 * style, no third-party origin, no plugins, no framing, and Trusted Types for DOM sinks (Lit
 * registers the `lit-html` policy). HSTS is set by nginx, which terminates TLS.
 */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  requireTrustedTypesFor: ["'script'"],
  trustedTypes: ['lit-html'],
  reportUri: ['/api/csp-reports'],
};

export function securityHeaders() {
  return secureHeaders({
    contentSecurityPolicy,
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    crossOriginEmbedderPolicy: false,
    referrerPolicy: 'no-referrer',
    xContentTypeOptions: 'nosniff',
    xFrameOptions: 'DENY',
    strictTransportSecurity: false,
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      usb: [],
      // WebAuthn runs in our own origin only.
      publickeyCredentialsGet: ['self'],
      clipboardWrite: ['self'],
    },
  });
}
