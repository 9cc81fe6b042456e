import { Command, CommanderError, Option } from 'commander';
import type { Io } from './cli.ts';
import { DEFAULT_RELEASE } from './connect.ts';
import { CliError, ExitCode } from './errors.ts';
import { colorAllowed, paint } from './output.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBans } from './commands/bans.ts';
import { registerCheck } from './commands/check.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerLogin } from './commands/login.ts';
import { registerRateLimit } from './commands/ratelimit.ts';
import { registerRooms } from './commands/rooms.ts';
import { registerUsers } from './commands/users.ts';
import { registerVersion, VERSION } from './commands/version.ts';

const exitCodes = `
Exit codes:
  0  ok
  1  error (a conflict, a server error, a server without a route orbitctl needs; \`check\`: a check failed)
  2  usage: bad flags or arguments, or a value the server refused
  3  not found: the user, ban, role, audit entry or context does not exist
  4  forbidden: not logged in, token expired, or not allowed
  5  unreachable: the server, the cluster or a backend cannot be reached

Reaching ChatOrbit: --server URL (or ORBITCTL_SERVER) with --token (or ORBITCTL_TOKEN) or a token
saved by \`orbitctl login\`; else the current context; else the kubeconfig (--kubeconfig, KUBECONFIG,
--context, -n): the release's gateway is found by its labels and port-forwarded.`;

export function buildProgram(io: Io): Command {
  const program = new Command('orbitctl');
  program
    .description('The ChatOrbit operator CLI: ban, timeout, slow mode, rate limits, audit, room inspection and cluster checks.')
    .version(VERSION, '--client-version', 'print the client version')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--no-headers', 'tables without their header row')
    .option('--server <url>', "the gateway's URL (env ORBITCTL_SERVER); skips Kubernetes")
    .option('--token <token>', 'an access token (env ORBITCTL_TOKEN)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <namespace>', "the release's namespace")
    .option('--release <name>', `the Helm release (default: ${DEFAULT_RELEASE})`)
    .option('--request-timeout <duration>', 'give up on a request after this long', '30s')
    .addHelpText('after', exitCodes)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(paint(colorAllowed(io.stderr, io.env), 'red', s)),
    });
  const registrar = { program, io };
  registerBans(registrar);
  registerRooms(registrar);
  registerRateLimit(registrar);
  registerAudit(registrar);
  registerUsers(registrar);
  registerCheck(registrar);
  registerLogin(registrar);
  registerCompletion(registrar);
  registerVersion(registrar);
  return program;
}

/** Prints an error and its hint on stderr (as JSON with -o json) and returns its exit code. */
export function reportError(io: Io, err: CliError, format: string | undefined): ExitCode {
  if (format === 'json') {
    io.stderr.write(`${JSON.stringify({ error: { code: err.code ?? 'error', message: err.message, hint: err.hint, exitCode: err.exitCode } })}\n`);
  } else {
    const color = colorAllowed(io.stderr, io.env);
    io.stderr.write(`${paint(color, 'red', 'error:')} ${err.message}\n${paint(color, 'dim', 'hint:')}  ${err.hint}\n`);
  }
  return err.exitCode;
}

/** Runs orbitctl with these arguments (without node and the script); resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    const format = program.opts().output as string | undefined;
    if (err instanceof CliError) return reportError(io, err, format);
    if (err instanceof CommanderError) {
      // Help asked for, or the version: 0. Otherwise commander has printed "error: …" (or, for a
      // command group without its subcommand, the group's help): a usage error.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(io, new CliError(ExitCode.error, `unexpected failure: ${(err as Error)?.stack ?? String(err)}`, 'this is a bug in orbitctl: please report it with the command you ran'), format);
  }
}
