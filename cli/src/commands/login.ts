import type { Readable } from 'node:stream';
import { readLine, type Cli } from '../cli.ts';
import { configPath, readConfig, saveContext, updateConfig, type Context } from '../config.ts';
import { formatDuration } from '../duration.ts';
import { CliError, ExitCode, notFoundError, usageError } from '../errors.ts';
import { ApiError } from '../http.ts';
import type { Column } from '../output.ts';
import { sessionFields, type SessionResponse } from '../tokens.ts';
import { act, type Registrar } from './common.ts';

/** Reads a password from a TTY without echoing it. */
function readHidden(stdin: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => void }, prompt: (t: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stdin.setRawMode?.(true);
    const done = (err?: Error) => {
      stdin.setRawMode?.(false);
      stdin.off('data', onData);
      stdin.pause();
      prompt('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError(ExitCode.error, 'cancelled', 'nothing was saved'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function askUsername(cli: Cli, given?: string) {
  const username = given || cli.io.env.ORBITCTL_USERNAME;
  if (username) return username;
  if (!cli.io.stdin.isTTY) throw usageError('login needs a username', 'pass --username NAME (or set ORBITCTL_USERNAME)');
  cli.io.stderr.write('Username: ');
  return (await readLine(cli.io.stdin)).trim();
}

async function askPassword(cli: Cli, fromStdin?: boolean) {
  if (fromStdin) return (await readLine(cli.io.stdin)).replace(/\r?\n$/, '');
  if (cli.io.env.ORBITCTL_PASSWORD) return cli.io.env.ORBITCTL_PASSWORD;
  if (!cli.io.stdin.isTTY) throw usageError('login needs a password', 'pipe it in with --password-stdin (or set ORBITCTL_PASSWORD); orbitctl never takes it as a flag');
  cli.io.stderr.write('Password: ');
  return readHidden(cli.io.stdin as never, (t) => cli.io.stderr.write(t));
}

/** The saved token's state for people: valid for how long, else whether it can be refreshed. */
function tokenState(c: Context, now = Date.now()): string {
  if (c.token && (c.expiresAt === undefined || c.expiresAt > now)) return c.expiresAt === undefined ? 'saved' : `valid ${formatDuration((c.expiresAt - now) / 1000)}`;
  if (c.refreshToken) return c.refreshExpiresAt !== undefined && c.refreshExpiresAt <= now ? 'session expired' : 'refreshes when used';
  return c.token ? 'expired' : 'none';
}
const where = (c: Context) => c.server ?? (c.kube ? `kube:${c.kube.context ?? '(current)'}/${c.kube.namespace}/${c.kube.release}` : '?');

export function registerLogin({ program, io }: Registrar) {
  program
    .command('login')
    .summary('log in and save a context (tokens in the config file, mode 0600)')
    .description('Logs in with a username and password and saves a context: the server (or the Kubernetes release), the access token and the refresh token, in $XDG_CONFIG_HOME/orbitctl/config.json (~/.config/orbitctl/config.json), readable only by you. The context becomes the current one. When the access token expires, orbitctl trades the refresh token for a new pair by itself; when the session ends (30 days unused, a password change, logout-all), it asks you to log in again.')
    .option('--username <name>', 'username or email (or ORBITCTL_USERNAME; asked on a terminal)')
    .option('--password-stdin', 'read the password from standard input (else ORBITCTL_PASSWORD, else asked on a terminal)')
    .option('--name <context>', 'name of the saved context (default: user@server)')
    .action(
      act(io, async (cli, opts: { username?: string; passwordStdin?: boolean; name?: string }) => {
        const session = await (async () => {
          await cli.api({ auth: false });
          return cli.sessionInfo();
        })();
        const username = await askUsername(cli, opts.username);
        const password = await askPassword(cli, opts.passwordStdin);
        if (!password) throw usageError('empty password', 'type the password, or pipe it with --password-stdin');
        let login: SessionResponse;
        try {
          login = await session.api.request<SessionResponse>('POST', '/api/v1/auth/login', { body: { login: username, password }, auth: false });
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) throw new CliError(ExitCode.forbidden, `wrong username or password for ${username}`, 'check them and try again; an admin can reset a password', 'unauthorized');
          throw err;
        }
        const server = session.kube ? undefined : session.api.server;
        const host = server ? new URL(server).host : `${session.kube!.namespace}/${session.kube!.release}`;
        const context: Context = {
          name: opts.name ?? `${login.user.username}@${host}`,
          ...(server ? { server } : {}),
          ...(session.kube
            ? { kube: { ...(cli.flags.kubeconfig ? { kubeconfig: cli.flags.kubeconfig } : {}), ...(cli.flags.context ? { context: cli.flags.context } : {}), namespace: session.kube.namespace, release: session.kube.release } }
            : {}),
          ...sessionFields(login),
        };
        await saveContext(context, configPath(cli.io.env));
        const refresh = login.refreshToken && login.refreshExpiresIn ? `, refreshed by itself for ${formatDuration(login.refreshExpiresIn)} unused` : '';
        cli.print({ context: context.name, server: where(context), user: context.user, expiresAt: context.expiresAt, refreshExpiresAt: context.refreshExpiresAt ?? null }, [
          { lines: [`logged in to ${where(context)} as ${login.user.username}; context "${context.name}" is now current (token valid ${formatDuration(login.expiresIn)}${refresh})`] },
        ]);
      }),
    );

  const config = program.command('config').summary('saved contexts');
  config
    .command('get-contexts')
    .summary('the saved contexts (tokens are never printed)')
    .action(
      act(io, async (cli) => {
        const file = readConfig(configPath(cli.io.env));
        const current = cli.io.env.ORBITCTL_CONTEXT || file.currentContext;
        const rows = file.contexts.map((c) => ({
          current: c.name === current,
          name: c.name,
          server: where(c),
          user: c.user?.username ?? null,
          token: tokenState(c),
          expiresAt: c.expiresAt ?? null,
          refreshable: Boolean(c.refreshToken),
          refreshExpiresAt: c.refreshExpiresAt ?? null,
        }));
        const columns: Array<Column<(typeof rows)[number]>> = [
          { header: 'CURRENT', get: (r) => (r.current ? '*' : '') },
          { header: 'NAME', get: (r) => r.name },
          { header: 'SERVER', get: (r) => r.server, flex: true },
          { header: 'USER', get: (r) => r.user ?? '-' },
          { header: 'TOKEN', get: (r) => r.token },
        ];
        cli.print({ currentContext: current ?? null, contexts: rows }, [{ table: { columns, rows, empty: 'No contexts: `orbitctl login` saves one.' } }]);
      }),
    );
  config
    .command('use-context')
    .summary('make a saved context the current one')
    .argument('<name>')
    .action(
      act(io, async (cli, name: string) => {
        await updateConfig(configPath(cli.io.env), (file) => {
          if (!file.contexts.some((c) => c.name === name)) {
            throw notFoundError(`no context named "${name}"`, file.contexts.length ? `saved: ${file.contexts.map((c) => c.name).join(', ')}` : '`orbitctl login` saves one');
          }
          file.currentContext = name;
        });
        cli.print({ currentContext: name }, [{ lines: [`switched to context "${name}"`] }]);
      }),
    );
  config
    .command('current-context')
    .summary('the name of the current context')
    .action(
      act(io, async (cli) => {
        const file = readConfig(configPath(cli.io.env));
        const current = cli.io.env.ORBITCTL_CONTEXT || file.currentContext;
        if (!current) throw notFoundError('no current context', '`orbitctl login` saves one; `orbitctl config use-context NAME` picks one');
        cli.print({ currentContext: current }, [{ lines: [current] }]);
      }),
    );
  config
    .command('delete-context')
    .summary('forget a saved context and its token')
    .argument('<name>')
    .action(
      act(io, async (cli, name: string) => {
        await updateConfig(configPath(cli.io.env), (file) => {
          if (!file.contexts.some((c) => c.name === name)) throw notFoundError(`no context named "${name}"`, '`orbitctl config get-contexts` lists them');
          file.contexts = file.contexts.filter((c) => c.name !== name);
          if (file.currentContext === name) delete file.currentContext;
        });
        cli.print({ deleted: name }, [{ lines: [`deleted context "${name}"`] }]);
      }),
    );
}
