/** Issuing a new set of ten recovery codes (§5.1.2.1): the codes once, their records to store. */
import type { AuthRuntime } from '../../auth/auth-runtime.js';
import { generateRecoveryCodes, type IssuedRecoveryCode } from '../../auth/recovery-codes.js';

/** Ten new codes and their records (the codes themselves are only ever returned once). */
export async function issueRecoveryCodes(
  rt: AuthRuntime,
): Promise<{ codes: IssuedRecoveryCode[]; records: { number: number; codeHash: string }[] }> {
  const codes = generateRecoveryCodes(rt.random);
  const records = await Promise.all(
    codes.map(async ({ number, code }) => ({
      number,
      codeHash: await rt.recoveryCodeHasher.hash(code.replace(/-/g, '')),
    })),
  );
  return { codes, records };
}
