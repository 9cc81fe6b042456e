import { stringify as toYaml } from 'yaml';
import { usageError } from './errors.ts';

export const formats = ['table', 'json', 'yaml'] as const;
export type Format = (typeof formats)[number];

export interface OutputOptions {
  format: Format;
  /** Print table headers and section titles (--no-headers turns them off). */
  headers: boolean;
  /** ANSI colour: only on a TTY, never with NO_COLOR set. */
  color: boolean;
  /** Tables are fitted to this many columns (the terminal's width; unlimited when not a TTY). */
  width: number;
}

interface Terminal {
  isTTY?: boolean;
  columns?: number;
}

export function parseFormat(value: string): Format {
  if ((formats as readonly string[]).includes(value)) return value as Format;
  throw usageError(`unknown output format "${value}"`, `use -o ${formats.join(', -o ')}`);
}

/** The output settings for a stream: colour and width come from the terminal and the environment. */
export function outputOptions(
  flags: { output?: string; headers?: boolean },
  stream: Terminal = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): OutputOptions {
  const columns = Number(env.COLUMNS);
  return {
    format: parseFormat(flags.output ?? 'table'),
    headers: flags.headers !== false,
    color: colorAllowed(stream, env),
    width: stream.isTTY && stream.columns ? stream.columns : Number.isInteger(columns) && columns > 0 ? columns : Infinity,
  };
}

/** https://no-color.org: NO_COLOR set to anything non-empty turns colour off; so does a pipe. */
export const colorAllowed = (stream: Terminal, env: NodeJS.ProcessEnv) => Boolean(stream.isTTY) && !env.NO_COLOR;

const styles = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] } as const;
export type Style = keyof typeof styles;
export const paint = (on: boolean, style: Style, text: string) => (on ? `\u001b[${styles[style][0]}m${text}\u001b[${styles[style][1]}m` : text);

export interface Column<T> {
  header: string;
  get: (row: T) => string;
  /** Shrinks (with …) before the others when the table is wider than the terminal. */
  flex?: boolean;
  align?: 'right';
}

export interface Table<T> {
  columns: Array<Column<T>>;
  rows: T[];
  /** Said on stderr instead of an empty table. */
  empty?: string;
}

/** A block of human output: a titled table, key/value fields, or lines of text. */
export interface Section {
  title?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  table?: Table<any>;
  fields?: Array<[string, string]>;
  lines?: string[];
}

export type Human = Section[];

/** Control characters (an ANSI escape in a chat message, a newline) never reach the terminal. */
// eslint-disable-next-line no-control-regex
export const clean = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');

const MIN_FLEX = 8;

function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/** A table as text, columns two spaces apart, fitted to `width`. */
export function renderTable<T>(table: Table<T>, opts: Pick<OutputOptions, 'headers' | 'width' | 'color'>): string[] {
  const cells = table.rows.map((row) => table.columns.map((c) => clean(c.get(row))));
  const widths = table.columns.map((c, i) => Math.max(opts.headers ? c.header.length : 0, ...cells.map((r) => r[i]!.length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  // Too wide: shrink the flexible columns (or, if there are none, the widest) to fit.
  const anyFlex = table.columns.some((c) => c.flex);
  const shrinkable = table.columns.map((c) => !anyFlex || c.flex === true);
  while (total() > opts.width) {
    let widest = -1;
    widths.forEach((w, i) => {
      const floor = Math.max(MIN_FLEX, opts.headers ? table.columns[i]!.header.length : 0);
      if (shrinkable[i] && w > floor && (widest < 0 || w > widths[widest]!)) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = Math.max(widths[widest]! - (total() - opts.width), Math.max(MIN_FLEX, opts.headers ? table.columns[widest]!.header.length : 0));
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const text = truncate(v, widths[i]!);
        const last = i === values.length - 1;
        if (table.columns[i]!.align === 'right') return text.padStart(widths[i]!);
        return last ? text : text.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  if (opts.headers) out.push(paint(opts.color, 'bold', line(table.columns.map((c) => c.header))));
  for (const row of cells) out.push(line(row));
  return out;
}

/** Human output: sections one after the other, a blank line between them. */
export function renderHuman(sections: Human, opts: OutputOptions): { stdout: string; stderr: string } {
  const blocks: string[] = [];
  const notes: string[] = [];
  for (const section of sections) {
    const lines: string[] = [];
    const titled = opts.headers && section.title !== undefined && sections.length > 1;
    if (titled) lines.push(paint(opts.color, 'bold', `${section.title}:`));
    const indent = titled ? '  ' : '';
    if (section.fields) {
      const keyWidth = Math.max(...section.fields.map(([k]) => k.length)) + 1;
      for (const [key, value] of section.fields) lines.push(`${indent}${`${key}:`.padEnd(keyWidth)} ${clean(value)}`.trimEnd());
    }
    if (section.table) {
      if (section.table.rows.length === 0 && section.table.empty !== undefined) {
        if (titled) lines.push(`${indent}${section.table.empty}`);
        else notes.push(section.table.empty);
      } else {
        lines.push(...renderTable(section.table, { ...opts, width: opts.width - indent.length }).map((l) => indent + l));
      }
    }
    if (section.lines) lines.push(...section.lines.map((l) => indent + l));
    if (lines.length > 0) blocks.push(lines.join('\n'));
  }
  return { stdout: blocks.length ? `${blocks.join('\n\n')}\n` : '', stderr: notes.length ? `${notes.join('\n')}\n` : '' };
}

/** The exact data as JSON or YAML (times in ms since the epoch, durations in seconds). */
export function renderData(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : toYaml(data, { lineWidth: 0 });
}
