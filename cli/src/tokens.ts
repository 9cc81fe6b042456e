import { readConfig, withConfigLock, writeConfig, type Context } from './config.ts';
import { CliError, ExitCode } from './errors.ts';
import { ApiError } from './http.ts';

/** What POST /api/v1/auth/login and /api/v1/auth/refresh answer (bearer mode). */
export interface SessionResponse {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  refreshExpiresIn?: number;
  user: { id: string; username: string };
}

/** Where the API client gets its bearer token: a fixed one, or one that renews itself. */
export interface TokenProvider {
  /** The token for the next request; refreshed first when it is known to have expired. */
  token(): Promise<string>;
  /** The server refused `rejected` (401): a fresh token, or a CliError that says to log in again. */
  renew(rejected: string): Promise<string>;
}

/** Access tokens this close to their expiry are refreshed before use rather than sent to fail. */
const EXPIRY_MARGIN_MS = 5_000;

/** The context's token fields after a login or a refresh. */
export function sessionFields(session: SessionResponse, now = Date.now()): Pick<Context, 'token' | 'expiresAt' | 'refreshToken' | 'refreshExpiresAt' | 'user'> {
  return {
    token: session.accessToken,
    expiresAt: now + session.expiresIn * 1000,
    ...(session.refreshToken ? { refreshToken: session.refreshToken } : {}),
    ...(session.refreshToken && session.refreshExpiresIn ? { refreshExpiresAt: now + session.refreshExpiresIn * 1000 } : {}),
    user: { id: session.user.id, username: session.user.username },
  };
}

/** How to log in again to what a context reaches. */
export function loginCommand(context: Context): string {
  if (context.server) return `orbitctl login --server ${context.server}`;
  const k = context.kube;
  if (!k) return 'orbitctl login';
  return ['orbitctl login', k.kubeconfig ? `--kubeconfig ${k.kubeconfig}` : '', k.context ? `--context ${k.context}` : '', `-n ${k.namespace}`, `--release ${k.release}`].filter(Boolean).join(' ');
}

/**
 * The token saved in a context by `orbitctl login`, refreshed by itself: when it has expired, or
 * when the server refuses it (401), the context's refresh token is traded for a new access token
 * and a new refresh token (auth rotates them on every use), both written back to the config file.
 *
 * One refresh at a time: within this process the requests that fail together share one refresh;
 * across processes the config file's lock is held while refreshing, and a process that finds the
 * token already renewed by another takes the new one instead of spending the old refresh token a
 * second time (which auth would take for a stolen copy, ending the session).
 */
export class SavedToken implements TokenProvider {
  private context: Context;
  private readonly path: string;
  private readonly refresh: (refreshToken: string) => Promise<SessionResponse>;
  private inflight: Promise<string> | undefined;

  constructor(opts: { path: string; context: Context; refresh: (refreshToken: string) => Promise<SessionResponse> }) {
    this.path = opts.path;
    this.context = opts.context;
    this.refresh = opts.refresh;
  }

  /** Whether a context holds anything this can use: a live access token, or a refresh token. */
  static usable(context: Context, now = Date.now()): boolean {
    return Boolean(context.refreshToken || (context.token && (context.expiresAt ?? Infinity) > now));
  }

  private expired(context: Context, now = Date.now()) {
    return !context.token || (context.expiresAt !== undefined && context.expiresAt - EXPIRY_MARGIN_MS <= now);
  }

  async token(): Promise<string> {
    const c = this.context;
    if (!this.expired(c)) return c.token!;
    if (!c.refreshToken) {
      throw new CliError(
        ExitCode.forbidden,
        `the token saved in context ${c.name} expired at ${new Date(c.expiresAt ?? 0).toISOString()}`,
        `log in again: \`${loginCommand(c)}\``,
        'token_expired',
      );
    }
    return this.renew(c.token ?? '');
  }

  renew(rejected: string): Promise<string> {
    // Another request of this run has renewed it already.
    if (this.context.token && this.context.token !== rejected && !this.expired(this.context)) return Promise.resolve(this.context.token);
    this.inflight ??= withConfigLock(this.path, () => this.refreshLocked(rejected)).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refreshLocked(rejected: string): Promise<string> {
    const name = this.context.name;
    const saved = readConfig(this.path).contexts.find((c) => c.name === name);
    if (!saved) {
      throw new CliError(ExitCode.forbidden, `context ${name} was deleted while this command ran`, `log in again: \`${loginCommand(this.context)}\``, 'session_ended');
    }
    // Another orbitctl refreshed it while we waited for the lock: use its token.
    if (saved.token && saved.token !== rejected && !this.expired(saved)) {
      this.context = saved;
      return saved.token;
    }
    if (!saved.refreshToken) {
      throw new CliError(
        ExitCode.forbidden,
        `the token saved in context ${name} is ${this.expired(saved) ? 'expired' : 'no longer accepted'} and there is no refresh token to renew it`,
        `log in again: \`${loginCommand(saved)}\``,
        'token_expired',
      );
    }
    let session: SessionResponse;
    try {
      session = await this.refresh(saved.refreshToken);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        // The session is over (expired, revoked, logged out everywhere, a reused token): forget
        // its refresh token so that the next command says so at once.
        const { refreshToken: _gone, refreshExpiresAt: _also, ...rest } = saved;
        this.write(rest);
        throw new CliError(ExitCode.forbidden, `the session saved in context ${name} has ended: ${err.serverMessage}`, `log in again: \`${loginCommand(saved)}\``, 'session_ended');
      }
      throw err;
    }
    const renewed: Context = { ...saved, ...sessionFields(session) };
    this.write(renewed);
    this.context = renewed;
    return renewed.token!;
  }

  /** Replaces the context in the file; refreshLocked holds the lock. */
  private write(context: Context) {
    const config = readConfig(this.path);
    config.contexts = config.contexts.map((c) => (c.name === context.name ? context : c));
    writeConfig(config, this.path);
  }
}
