/**
 * Chromium's virtual authenticator over CDP: a USB CTAP2 security key that answers at once
 * (presence simulated). Attach one before any WebAuthn call: without one, headless Chromium
 * can wait far past the request's timeout.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

export interface VirtualKey {
  cdp: CDPSession;
  authenticatorId: string;
  remove(): Promise<void>;
  credentialCount(): Promise<number>;
}

export async function attachVirtualKey(context: BrowserContext, page: Page): Promise<VirtualKey> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    remove: async () => {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
    credentialCount: async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length,
  };
}
