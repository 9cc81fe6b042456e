/**
 * Exit codes, documented in the README and `orbitctl --help`; tests assert each one.
 * Every error the CLI prints carries a hint that says what to do next.
 */
export const ExitCode = {
  ok: 0,
  /** Anything else: a conflict, a server error, a server without the feature asked for. */
  error: 1,
  /** Bad flags or arguments (also a value the server refused as invalid). */
  usage: 2,
  /** The user, room entry, ban, role or audit entry does not exist. */
  notFound: 3,
  /** Not logged in, token expired or not allowed (401 and 403). */
  forbidden: 4,
  /** The server, the cluster or a backend cannot be reached. */
  unreachable: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** What to do next, one line. */
  readonly hint: string;
  /** The server's error code, when the server answered with one. */
  readonly code: string | undefined;
  constructor(exitCode: ExitCode, message: string, hint: string, code?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
    this.code = code;
  }
}

export const usageError = (message: string, hint: string) => new CliError(ExitCode.usage, message, hint, 'usage');
export const notFoundError = (message: string, hint: string) => new CliError(ExitCode.notFound, message, hint, 'not_found');
