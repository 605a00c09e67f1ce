/**
 * The switch for the console crypto log the brief asks for: on by default, remembered in
 * localStorage (a preference, not a secret). One log object is shared by every conversation
 * and reads the switch at each operation, so turning it off silences them all at once.
 */
import type { StorageLike } from '../keystore/index.js';
import { type CryptoLog, createCryptoLog } from '../protocol/index.js';

export const CRYPTO_LOG_SETTING = 'parley:settings:crypto-log';

export interface CryptoLogSwitch {
  readonly log: CryptoLog;
  enabled(): boolean;
  set(enabled: boolean): void;
}

export function createCryptoLogSwitch(
  storage: Pick<StorageLike, 'getItem' | 'setItem'>,
  sink?: (line: string) => void,
): CryptoLogSwitch {
  const enabled = () => storage.getItem(CRYPTO_LOG_SETTING) !== 'off';
  const inner = createCryptoLog({ enabled: true, ...(sink ? { sink } : {}) });
  return {
    log: {
      get enabled() {
        return enabled();
      },
      op(operation, fields) {
        if (enabled()) inner.op(operation, fields);
      },
    },
    enabled,
    set(on) {
      storage.setItem(CRYPTO_LOG_SETTING, on ? 'on' : 'off');
    },
  };
}
