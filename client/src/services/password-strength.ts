/**
 * Password strength guidance with zxcvbn-ts. Its dictionaries are large, so they are loaded on
 * first use through a dynamic import: only the sign-up page (and password change) pays for them.
 */
export interface StrengthEstimate {
  /** 0 (very weak) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  warning: string;
  suggestions: string[];
}

type Checker = (password: string, userInputs: string[]) => StrengthEstimate;
let loading: Promise<Checker> | undefined;

export function loadStrengthChecker(): Promise<Checker> {
  loading ??= (async () => {
    const [{ ZxcvbnFactory }, common, english] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    const factory = new ZxcvbnFactory({
      translations: english.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...english.dictionary },
    });
    return (password, userInputs) => {
      const result = factory.check(password, userInputs);
      return {
        score: result.score,
        warning: result.feedback.warning ?? '',
        suggestions: result.feedback.suggestions,
      };
    };
  })();
  return loading;
}
