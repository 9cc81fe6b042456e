import type { Command } from 'commander';
import { Cli, type Io } from '../cli.ts';
import { usageError } from '../errors.ts';

export interface Registrar {
  program: Command;
  io: Io;
}

/**
 * Wraps a command's handler: builds the Cli from the global and local options, runs it, closes
 * the session (and its port-forward) whatever happens. The handler gets the positional
 * arguments and then the command's own options.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function act<A extends any[]>(io: Io, handler: (cli: Cli, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const cli = new Cli(io, command.optsWithGlobals());
    try {
      await (handler as (cli: Cli, ...rest: unknown[]) => Promise<void>)(cli, ...args.slice(0, -2), command.opts());
    } finally {
      await cli.close();
    }
  };
}

export const enc = encodeURIComponent;

/** The room of a room-or-global command: --room R, or --global; one of them. */
export function scope(opts: { room?: string; global?: boolean }, command: string): string | null {
  if (opts.room && opts.global) throw usageError(`${command}: --room and --global exclude each other`, 'give --room R for one room, or --global for every room');
  if (opts.room) return opts.room;
  if (opts.global) return null;
  throw usageError(`${command}: which room?`, `give --room R, or --global for every room (admins), e.g. \`orbitctl ${command} … --room lobby\``);
}

export const list = (items: readonly string[]) => (items.length ? items.join(', ') : '(none)');
