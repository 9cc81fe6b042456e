import type { Readable, Writable } from 'node:stream';
import { openSession, type GlobalFlags, type Session } from './connect.ts';
import { CliError, ExitCode, notFoundError, usageError } from './errors.ts';
import type { ApiClient } from './http.ts';
import { colorAllowed, outputOptions, paint, renderData, renderHuman, type Human, type OutputOptions } from './output.ts';

export interface Io {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface PublicUser {
  id: string;
  username: string;
  displayName?: string | null;
  createdAt?: string;
  deactivated?: true;
}

const USER_ID = /^[0-9a-f]{24}$/i;

/**
 * USER arguments: a 24-hex id is taken as an id; anything else is a username, looked up with
 * GET /api/v1/users?search=<prefix> (exact match, ignoring case). Ids are shown as usernames
 * with GET /api/v1/users/:id, once per id per run.
 */
export class UserDirectory {
  private readonly cli: Cli;
  private readonly names = new Map<string, Promise<string>>();
  constructor(cli: Cli) {
    this.cli = cli;
  }

  async resolve(arg: string): Promise<{ id: string; username: string }> {
    const api = await this.cli.api();
    if (USER_ID.test(arg)) {
      const id = arg.toLowerCase();
      return { id, username: await this.name(id) };
    }
    const wanted = arg.replace(/^@/, '');
    const page = await api.get<{ users: PublicUser[]; next?: string }>('/api/v1/users', { search: wanted, limit: 20 });
    // Usernames sort before their extensions ("bob" < "bob2"), so an exact match is on the first page.
    const user = page.users.find((u) => u.username.toLowerCase() === wanted.toLowerCase());
    if (!user) {
      const near = page.users.slice(0, 5).map((u) => u.username);
      throw notFoundError(`no user named "${wanted}"`, near.length ? `did you mean ${near.join(', ')}?` : `\`orbitctl users find ${wanted.slice(0, 3)}\` lists similar names`);
    }
    this.names.set(user.id, Promise.resolve(user.username));
    return { id: user.id, username: user.username };
  }

  /** The username of an id, or the id itself when it cannot be looked up (a deleted account). */
  name(id: string): Promise<string> {
    let name = this.names.get(id);
    if (!name) {
      name = this.cli
        .api()
        .then((api) => api.get<PublicUser>(`/api/v1/users/${id}`))
        .then((u) => u.username)
        .catch((err: unknown) => {
          if (err instanceof CliError && err.exitCode === ExitCode.notFound) return id;
          throw err;
        });
      this.names.set(id, name);
    }
    return name;
  }

  async nameAll(ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
    const unique = [...new Set([...ids].filter((id): id is string => typeof id === 'string' && USER_ID.test(id)))];
    const names = await Promise.all(unique.map((id) => this.name(id)));
    return new Map(unique.map((id, i) => [id, names[i]!]));
  }
}

/** What a command runs with: the parsed global flags, output settings, the API session. */
export class Cli {
  readonly io: Io;
  readonly flags: GlobalFlags;
  readonly out: OutputOptions;
  readonly users: UserDirectory;
  private session?: Promise<Session>;
  private progressShown = false;

  constructor(io: Io, flags: GlobalFlags) {
    this.io = io;
    this.flags = flags;
    this.out = outputOptions(flags, io.stdout, io.env);
    this.users = new UserDirectory(this);
  }

  /** The API client, connected on first use (a port-forward may be opened). */
  async api(opts: { auth?: boolean } = {}): Promise<ApiClient> {
    this.session ??= openSession(this.flags, this.io.env, opts);
    return (await this.session).api;
  }

  async sessionInfo(): Promise<Session> {
    await this.api();
    return this.session!;
  }

  async close() {
    this.clearProgress();
    if (this.session) await this.session.then((s) => s.close(), () => {});
  }

  /** The result: exact data as JSON/YAML, or the human sections as tables. */
  print(data: unknown, human: Human | (() => Human)) {
    this.clearProgress();
    if (this.out.format !== 'table') {
      this.io.stdout.write(renderData(data, this.out.format));
      return;
    }
    const { stdout, stderr } = renderHuman(typeof human === 'function' ? human() : human, this.out);
    if (stdout) this.io.stdout.write(stdout);
    if (stderr) this.io.stderr.write(stderr);
  }

  /** A remark for people (stderr, so it never mixes with data). */
  note(text: string) {
    this.clearProgress();
    this.io.stderr.write(`${text}\n`);
  }

  warn(text: string) {
    this.note(`${paint(colorAllowed(this.io.stderr, this.io.env), 'yellow', 'warning:')} ${text}`);
  }

  /** A progress line on a TTY only, rewritten in place. */
  progress(text: string) {
    if (!this.io.stderr.isTTY) return;
    this.io.stderr.write(`\r\u001b[2K${text}`);
    this.progressShown = true;
  }

  clearProgress() {
    if (!this.progressShown) return;
    this.io.stderr.write('\r\u001b[2K');
    this.progressShown = false;
  }

  /** Yes/no for destructive commands: --yes, or a TTY answer; refused otherwise. */
  async confirm(question: string, yes: boolean | undefined): Promise<void> {
    if (yes) return;
    if (!this.io.stdin.isTTY || !this.io.stderr.isTTY) throw usageError(`${question} needs confirmation`, 'add --yes to confirm without a terminal');
    this.io.stderr.write(`${question} [y/N] `);
    const answer = await readLine(this.io.stdin);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(ExitCode.error, 'cancelled', 'nothing was changed; add --yes to skip the question');
  }
}

/** One line from a stream (a TTY answer, or --password-stdin). */
export function readLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) finish(text.slice(0, end));
    };
    const finish = (line: string) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      stream.pause();
      resolve(line.replace(/\r$/, ''));
    };
    const onEnd = () => finish(text);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
    stream.resume();
  });
}
