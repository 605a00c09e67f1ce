/**
 * The "change" (refresh) message: the last IV its sender used under the old keys and the
 * string "change", MACed once under the old MAC key and once under the new one.
 *
 *   context = "CHAT_CHANGE_<from>to<to>:<xid>:<salt-1>:<salt>"
 *   input   = u16be(len(context)) || context || lastIv || "change"
 *   macOld  = HMAC(old macKey(from→to), input);  macNew = HMAC(new macKey(from→to), input)
 */
import { changeContext } from './constants.js';
import type { CryptoLog } from './crypto-log.js';
import { type Bytes, concatBytes, uintBigEndian, utf8 } from './encoding.js';
import type { DirectionKeyHandles } from './message-crypto.js';
import { ivFor } from './message-crypto.js';
import type { ChangeMessage } from './schema.js';

export const CHANGE_WORD = 'change';

function changeMacInput(
  address: { from: string; to: string; xid: string; salt: number },
  lastIv: Bytes,
): Bytes {
  const context = utf8(changeContext(address.from, address.to, address.xid, address.salt));
  return concatBytes(uintBigEndian(context.length, 2), context, lastIv, utf8(CHANGE_WORD));
}

/** Builds the change message from epoch salt-1 to epoch salt, sent after `lastCounter`. */
export async function signChange(
  address: { from: string; to: string; xid: string; salt: number },
  lastCounter: number,
  oldKeys: DirectionKeyHandles,
  newKeys: DirectionKeyHandles,
  log: CryptoLog,
): Promise<ChangeMessage> {
  const lastIv = ivFor(lastCounter);
  const input = changeMacInput(address, lastIv);
  const [macOld, macNew] = await Promise.all([
    crypto.subtle.sign('HMAC', oldKeys.mac, input),
    crypto.subtle.sign('HMAC', newKeys.mac, input),
  ]);
  const message: ChangeMessage = {
    type: 'change',
    ...address,
    lastIv,
    macOld: new Uint8Array(macOld),
    macNew: new Uint8Array(macNew),
  };
  log.op('change-sign', {
    epoch: `${address.xid}.${address.salt}`,
    lastIv,
    oldMacKey: oldKeys.raw.mac,
    macOld: message.macOld,
    newMacKey: newKeys.raw.mac,
    macNew: message.macNew,
  });
  return message;
}

/** Verifies one of the change message's two MACs under the given key. */
export async function verifyChangeMac(
  message: ChangeMessage,
  which: 'old' | 'new',
  keys: DirectionKeyHandles,
  log: CryptoLog,
): Promise<boolean> {
  const mac = which === 'old' ? message.macOld : message.macNew;
  const valid = await crypto.subtle.verify(
    'HMAC',
    keys.mac,
    mac,
    changeMacInput(message, message.lastIv),
  );
  log.op(`change-verify-${which}`, {
    epoch: `${message.xid}.${message.salt}`,
    lastIv: message.lastIv,
    macKey: keys.raw.mac,
    mac,
    valid: `${valid}`,
  });
  return valid;
}
