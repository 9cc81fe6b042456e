import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, parseDuration } from './duration.ts';
import { CliError, ExitCode } from './errors.ts';
import { outputOptions, renderData, renderHuman, renderTable, type Table } from './output.ts';
import { simulate } from './simulate.ts';

describe('durations', () => {
  it('parses what people type', () => {
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('2d')).toBe(172_800);
    expect(parseDuration('500ms')).toBe(1);
  });
  it('refuses anything else as a usage error with a hint', () => {
    for (const bad of ['', 'ten', '10x', '5m3', '-5m']) {
      const err = (() => {
        try {
          parseDuration(bad, '--duration');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(ExitCode.usage);
      expect((err as CliError).hint).toMatch(/30s, 10m/);
    }
  });
  it('formats two units at most, like kubectl', () => {
    expect([0, 45, 599, 600, 3600, 3660, 86_400, 90_000, 1_209_600].map(formatDuration)).toEqual(['0s', '45s', '9m59s', '10m', '1h', '1h1m', '1d', '1d1h', '14d']);
    expect(formatAge(1_000, 61_000)).toBe('1m');
  });
});

describe('output', () => {
  const table: Table<{ a: string; b: string }> = {
    columns: [
      { header: 'NAME', get: (r) => r.a },
      { header: 'REASON', get: (r) => r.b, flex: true },
    ],
    rows: [
      { a: 'alice', b: 'spam spam spam spam spam spam' },
      { a: 'bob', b: 'x' },
    ],
  };
  it('aligns columns and shrinks the flexible one to the width, with …', () => {
    expect(renderTable(table, { headers: true, width: Infinity, color: false })).toEqual(['NAME   REASON', 'alice  spam spam spam spam spam spam', 'bob    x']);
    expect(renderTable(table, { headers: true, width: 20, color: false })).toEqual(['NAME   REASON', 'alice  spam spam sp…', 'bob    x']);
    expect(renderTable(table, { headers: false, width: Infinity, color: false })).toEqual(['alice  spam spam spam spam spam spam', 'bob    x']);
  });
  it('never lets control characters (an ANSI escape in a message) reach the terminal', () => {
    const [, row] = renderTable({ columns: [{ header: 'T', get: (r: string) => r }], rows: ['a\u001b[31mred\nline'] }, { headers: true, width: Infinity, color: false });
    expect(row).toBe('a [31mred line');
  });
  it('colours only on a TTY and never with NO_COLOR', () => {
    expect(outputOptions({}, { isTTY: true, columns: 80 }, {}).color).toBe(true);
    expect(outputOptions({}, { isTTY: true, columns: 80 }, { NO_COLOR: '1' }).color).toBe(false);
    expect(outputOptions({}, { isTTY: false }, {}).color).toBe(false);
    expect(outputOptions({}, { isTTY: true, columns: 80 }, {}).width).toBe(80);
    expect(outputOptions({}, { isTTY: false }, { COLUMNS: '100' }).width).toBe(100);
    expect(outputOptions({}, { isTTY: false }, {}).width).toBe(Infinity);
    expect(() => outputOptions({ output: 'xml' })).toThrow(/unknown output format/);
  });
  it('prints JSON and YAML exactly, and an empty table as a note on stderr', () => {
    expect(renderData({ a: 1, b: [null] }, 'json')).toBe('{\n  "a": 1,\n  "b": [\n    null\n  ]\n}\n');
    expect(renderData({ a: 1, b: [null] }, 'yaml')).toBe('a: 1\nb:\n  - null\n');
    const out = renderHuman([{ table: { ...table, rows: [], empty: 'No bans.' } }], { format: 'table', headers: true, color: false, width: Infinity });
    expect(out).toEqual({ stdout: '', stderr: 'No bans.\n' });
  });
});

describe('ratelimit simulate (the send script\'s GCRA)', () => {
  const msg = (seq: number, ts: number, id: string) => ({ seq, ts, user: { id, name: id } });
  it('limits a user past the burst and lets them go once the period passes', () => {
    // 3 per 10 s: a burst of 3, then one every 3.33 s.
    const log = [0, 100, 200, 300, 400, 3_500, 3_600, 20_000].map((ts, i) => msg(i + 1, ts, 'spammer'));
    const result = simulate(log, { messages: 3, perSec: 10 });
    expect(result.users).toEqual([{ userId: 'spammer', name: 'spammer', messages: 8, limited: 3, firstLimitedSeq: 4, exempt: false }]);
    expect(result).toMatchObject({ messages: 8, limitedMessages: 3, limitedUsers: 1, fromSeq: 1, toSeq: 8 });
  });
  it('replays in seq order whatever the order given, counts exempt users without limiting them, and 0 means no limit', () => {
    const log = [msg(3, 20, 'a'), msg(1, 0, 'a'), msg(2, 10, 'a'), msg(4, 30, 'mod'), msg(5, 40, 'mod')];
    const result = simulate(log, { messages: 1, perSec: 60 }, new Set(['mod']));
    expect(result.users.map((u) => [u.name, u.messages, u.limited, u.firstLimitedSeq, u.exempt])).toEqual([
      ['a', 3, 2, 2, false],
      ['mod', 2, 0, null, true],
    ]);
    expect(simulate(log, { messages: 0, perSec: 60 }).limitedMessages).toBe(0);
  });
});
