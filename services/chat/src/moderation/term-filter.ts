import safeRegex from 'safe-regex2';
import type { BlockedTerms } from '@chatorbit/shared';

export interface TermFilter {
  /** The first blocked term or pattern the text contains, if any. */
  match(text: string): string | undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Why a pattern is refused, or undefined when it may be used. Patterns that could backtrack
 * catastrophically (nested quantifiers: star height above 1) are refused when they are set,
 * so matching every message stays linear-ish.
 */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'i');
  } catch (err) {
    return `${JSON.stringify(pattern)} is not a valid regular expression: ${(err as Error).message}`;
  }
  if (!safeRegex(pattern)) return `${JSON.stringify(pattern)} could backtrack catastrophically (nested quantifiers)`;
  return undefined;
}

/** One case-insensitive scan per list: words as whole words (letters and digits around them do not count). */
export function compileFilter(terms: BlockedTerms): TermFilter {
  const words = terms.blockedTerms.map((t) => t.trim()).filter(Boolean);
  const wordRe = words.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'iu') : undefined;
  const patterns = terms.blockedPatterns.filter((p) => patternProblem(p) === undefined).map((p) => new RegExp(p, 'i'));
  return {
    match(text) {
      const word = wordRe?.exec(text);
      if (word) return word[0];
      for (const re of patterns) if (re.test(text)) return re.source;
      return undefined;
    },
  };
}
