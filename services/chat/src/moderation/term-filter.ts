import safeRegex from 'safe-regex2';
import { RE2JS } from 're2js';
import type { BlockedTerms } from '@chatorbit/shared';

export interface TermFilter {
  /** The first blocked term or pattern the text contains, if any. */
  match(text: string): string | undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Why a pattern is refused, or undefined when it may be used. Patterns are RE2 syntax (like
 * JavaScript's, without lookaround and backreferences) and are matched by RE2JS, whose time is
 * linear in the text: no pattern can hang a node, whatever a moderator writes (V8's own engine
 * backtracks: `(a|a)*b` against 30 a's takes it a minute, and safe-regex2 lets that one through).
 * Patterns with nested quantifiers (star height above 1) are refused too, as before.
 */
export function patternProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    return `${JSON.stringify(pattern)} is not a valid pattern (RE2 syntax: no lookaround, no backreferences): ${(err as Error).message}`;
  }
  if (!safeRegex(pattern)) return `${JSON.stringify(pattern)} could backtrack catastrophically (nested quantifiers)`;
  return undefined;
}

/**
 * One case-insensitive scan for the words (whole words: letters and digits around them do not
 * count; escaped literals, so V8's engine is safe with them), then each pattern, in RE2.
 */
export function compileFilter(terms: BlockedTerms): TermFilter {
  const words = terms.blockedTerms.map((t) => t.trim()).filter(Boolean);
  const wordRe = words.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'iu') : undefined;
  const patterns = terms.blockedPatterns
    .filter((p) => patternProblem(p) === undefined)
    .map((p) => ({ source: p, re: RE2JS.compile(p, RE2JS.CASE_INSENSITIVE) }));
  return {
    match(text) {
      const word = wordRe?.exec(text);
      if (word) return word[0];
      for (const { source, re } of patterns) if (re.test(text)) return source;
      return undefined;
    },
  };
}
