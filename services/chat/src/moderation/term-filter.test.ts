import { describe, expect, it } from 'vitest';
import { compileFilter, patternProblem } from './term-filter.ts';

/**
 * Patterns that make a backtracking engine (V8's RegExp) run for minutes or forever on a short
 * message, and that a star-height check (safe-regex2) lets through: alternation under a
 * quantifier, overlapping quantifiers. With V8's engine each of these hangs the test (and the
 * node) far past the test's timeout; with RE2 each text is one linear scan.
 */
const evil: Array<[string, string]> = [
  ['(a|a)*b', 'a'.repeat(5_000)],
  ['(a|aa)*c', 'a'.repeat(5_000)],
  ['(\\w|\\d)*x', '1'.repeat(5_000)],
  ['a*a*a*a*a*a*a*a*b', 'a'.repeat(5_000)],
  ['(.|\\s)*z', ' '.repeat(5_000)],
  ['^(\\d|\\w)+$', `${'4'.repeat(5_000)}!`],
];

describe('blocked patterns', () => {
  it.each(evil)('accepts %s (a star-height check passes it) and matches it in linear time', (pattern, text) => {
    expect(patternProblem(pattern)).toBeUndefined();
    const filter = compileFilter({ blockedTerms: [], blockedPatterns: [pattern] });
    expect(filter.match(text)).toBeUndefined();
    // Many times over: still one linear scan each.
    for (let i = 0; i < 200; i++) filter.match(text);
    expect(filter.match(`${text.slice(0, 3)}b c x z`)).toBe(pattern === '^(\\d|\\w)+$' ? undefined : pattern);
  });

  it('matches ignoring case, and names the pattern', () => {
    const filter = compileFilter({ blockedTerms: [], blockedPatterns: ['bit\\.ly/\\w+', 'ß{3}\\d{6,}'] });
    expect(filter.match('see BIT.LY/abc')).toBe('bit\\.ly/\\w+');
    expect(filter.match('bitxly/abc 12345')).toBeUndefined();
    expect(filter.match('call ßßß0123456')).toBe('ß{3}\\d{6,}');
  });

  it.each([
    ['[', 'not a valid pattern'],
    ['(?<=a)b', 'not a valid pattern'],
    ['a(?=b)', 'not a valid pattern'],
    ['(a)\\1', 'not a valid pattern'],
    ['a{1,100000}', 'not a valid pattern'],
    ['(a+)+$', 'nested quantifiers'],
    ['([a-z]*)*x', 'nested quantifiers'],
  ])('refuses %s: %s', (pattern, why) => {
    expect(patternProblem(pattern)).toContain(why);
  });

  it('ignores a stored pattern it would refuse (settings written before the rules changed)', () => {
    const filter = compileFilter({ blockedTerms: ['spoiler'], blockedPatterns: ['(?<=x)y', 'ok+'] });
    expect(filter.match('xy')).toBeUndefined();
    expect(filter.match('okkk')).toBe('ok+');
    expect(filter.match('a Spoiler!')).toBe('Spoiler');
  });
});
