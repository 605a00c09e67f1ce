/**
 * The user's switch for read receipts (docs/protocol.md, "Receipts"): on by default, remembered
 * in localStorage (a preference, not a secret). Off, this browser tells no peer that it showed
 * their messages; delivered receipts still flow, and the peer's receipts are still shown.
 */
import type { StorageLike } from '../keystore/index.js';

export const READ_RECEIPTS_SETTING = 'parley:settings:read-receipts';

export interface ReadReceiptsSwitch {
  enabled(): boolean;
  set(enabled: boolean): void;
}

export function createReadReceiptsSwitch(
  storage: Pick<StorageLike, 'getItem' | 'setItem'>,
): ReadReceiptsSwitch {
  return {
    enabled: () => storage.getItem(READ_RECEIPTS_SETTING) !== 'off',
    set(on) {
      storage.setItem(READ_RECEIPTS_SETTING, on ? 'on' : 'off');
    },
  };
}
