/**
 * Recovery codes as a factor (NIST SP 800-63B §5.1.2): a new set of ten issued (the codes once,
 * their records to store), one numbered code checked and used up at sign-in, and any unused
 * code matched at unlock in constant work.
 */
import { consumeCode, findUnusedCode, unusedCodes } from '../db/recovery-code-store.js';
import type { RecoveryCodeContext } from './auth-contexts.js';
import {
  generateRecoveryCodes,
  type IssuedRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.js';

export interface RecoveryCodeRecord {
  number: number;
  codeHash: string;
}

/** Ten new codes and their records (the codes themselves are only ever returned once). */
export async function issueRecoveryCodes(
  recoveryCodes: RecoveryCodeContext,
): Promise<{ codes: IssuedRecoveryCode[]; records: RecoveryCodeRecord[] }> {
  const codes = generateRecoveryCodes(recoveryCodes.random);
  const records = await Promise.all(
    codes.map(async ({ number, code }) => ({
      number,
      codeHash: await recoveryCodes.hasher.hash(code.replace(/-/g, '')),
    })),
  );
  return { codes, records };
}

/** Checks code #number (forgiving of case and separators) and uses it up, atomically. */
export async function useRecoveryCode(
  recoveryCodes: RecoveryCodeContext,
  userId: number,
  number: number,
  input: string,
): Promise<boolean> {
  const canonical = normalizeRecoveryCode(input);
  const row = await findUnusedCode(recoveryCodes.db, userId, number);
  if (!row || !canonical) {
    await recoveryCodes.hasher.verifyDummy(canonical ?? input);
    return false;
  }
  const verdict = await recoveryCodes.hasher.verify(canonical, row.codeHash);
  return verdict.ok && (await consumeCode(recoveryCodes.db, row.id, recoveryCodes.clock.now()));
}

/**
 * The number of the user's unused code that `input` is, or null. Always the same work: one
 * hash per code slot (a dummy for a used or missing one), so the time tells nothing.
 */
export async function matchUnusedCode(
  recoveryCodes: RecoveryCodeContext,
  userId: number | undefined,
  input: string,
): Promise<number | null> {
  const canonical = normalizeRecoveryCode(input);
  const rows = userId === undefined ? [] : await unusedCodes(recoveryCodes.db, userId);
  let matched: number | null = null;
  for (let slot = 0; slot < RECOVERY_CODE_COUNT; slot += 1) {
    const row = rows[slot];
    if (row && canonical) {
      const verdict = await recoveryCodes.hasher.verify(canonical, row.codeHash);
      if (verdict.ok && matched === null) matched = row.number;
    } else {
      await recoveryCodes.hasher.verifyDummy(canonical ?? input);
    }
  }
  return matched;
}
