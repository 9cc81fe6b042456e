import { CliError, ExitCode } from './errors.ts';
import type { TokenProvider } from './tokens.ts';

export interface ApiClientOptions {
  /** The gateway's base URL. */
  server: string;
  /** A bearer token, or a saved one that refreshes itself. */
  token?: string | TokenProvider;
  /** Where the server came from, for hints ("--server …", "context prod", "port-forward to …"). */
  source: string;
  /** Where the token came from ("--token", "ORBITCTL_TOKEN", "context prod"); default: `source`. */
  tokenSource?: string;
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** An error the server answered with: status and `{error:{code,message}}`. */
export class ApiError extends CliError {
  readonly status: number;
  readonly missingRoute: boolean;
  /** The server's own message (`error.message`), before orbitctl words it for people. */
  readonly serverMessage: string;
  constructor(status: number, exitCode: ExitCode, message: string, hint: string, code: string | undefined, missingRoute: boolean, serverMessage: string) {
    super(exitCode, message, hint, code);
    this.name = 'ApiError';
    this.status = status;
    this.missingRoute = missingRoute;
    this.serverMessage = serverMessage;
  }
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/**
 * The ChatOrbit HTTP API through the gateway. Every failure becomes a CliError with the exit
 * code it maps to and a hint: 400 → usage (2), 404 → not found (3), 401/403 → forbidden (4),
 * no answer / 502 / 503 / 504 → unreachable (5), anything else → error (1). With a TokenProvider,
 * a 401 renews the token once and the request is sent again.
 */
export class ApiClient {
  readonly server: string;
  readonly source: string;
  private readonly token: string | TokenProvider | undefined;
  /** The token last sent. */
  private lastToken: string | undefined;
  private readonly tokenSource: string;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.token = opts.token;
    this.source = opts.source;
    this.tokenSource = opts.tokenSource ?? opts.source;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  get authenticated() {
    return this.token !== undefined;
  }

  /** The bearer token last sent (after a request that succeeded: a good one), for the WebSocket check. */
  get bearer() {
    return typeof this.token === 'string' ? this.token : this.lastToken;
  }

  get<T>(path: string, query?: Query) {
    return this.request<T>('GET', path, { query });
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>('POST', path, { body });
  }
  put<T>(path: string, body: unknown) {
    return this.request<T>('PUT', path, { body });
  }
  delete<T>(path: string) {
    return this.request<T>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; query?: Query; auth?: boolean }): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(opts.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const send = async (token: string | undefined) => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      this.lastToken = token;
      try {
        return await fetch(url, {
          method,
          headers,
          ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        throw this.unreachable(err);
      }
    };
    const provider = typeof this.token === 'object' && opts.auth !== false ? this.token : undefined;
    const token = opts.auth === false ? undefined : provider ? await provider.token() : (this.token as string | undefined);
    let response = await send(token);
    if (response.status === 401 && provider && token) {
      // Expired (or refused) between our check and the server's: renew once and send it again.
      await response.body?.cancel();
      response = await send(await provider.renew(token));
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(ExitCode.error, `${this.server} answered ${method} ${path} with ${response.status} and no JSON`, `check that ${this.source} points at a ChatOrbit gateway`);
    }
    if (response.ok) return body as T;
    throw this.failure(method, path, response.status, body);
  }

  private unreachable(err: unknown): CliError {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const timedOut = (err as Error).name === 'TimeoutError';
    const why = timedOut ? `no answer within ${Math.round(this.timeoutMs / 1000)}s` : cause?.code && networkCodes.has(cause.code) ? cause.code : (cause?.message ?? (err as Error).message);
    return new CliError(ExitCode.unreachable, `cannot reach ChatOrbit at ${this.server} (${why})`, `check that the server is running and that ${this.source} is right; \`orbitctl check\` diagnoses a cluster`, 'unreachable');
  }

  private failure(method: string, path: string, status: number, body: unknown): ApiError {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const code = error?.code;
    const message = error?.message ?? `HTTP ${status}`;
    const missingRoute = status === 404 && /^no route /.test(message);
    const make = (exit: ExitCode, hint: string, text = message) => new ApiError(status, exit, text, hint, code, missingRoute, message);
    if (missingRoute) {
      return make(ExitCode.error, 'this needs a newer ChatOrbit on the server; upgrade the release (or check that --server points at the gateway)', `the server at ${this.server} does not offer ${method} ${path.split('?')[0]}`);
    }
    switch (status) {
      case 400:
        return make(ExitCode.usage, 'fix the value named above; `orbitctl <command> --help` lists what each flag takes');
      case 401:
        return make(
          ExitCode.forbidden,
          this.token ? `the token from ${this.tokenSource} is invalid or expired: run \`orbitctl login\` (or pass a fresh --token)` : 'log in first: `orbitctl login`, or pass --token / ORBITCTL_TOKEN',
          this.token ? `not authenticated: ${message}` : 'not logged in',
        );
      case 403:
        return make(ExitCode.forbidden, 'this needs an admin, or the room\'s owner or a moderator of it; ask an admin (`orbitctl roles grant USER moderator --room R`)', `forbidden: ${message}`);
      case 404:
        return make(ExitCode.notFound, 'check the name or id; `orbitctl users find PREFIX` finds a user, `orbitctl audit` lists entry ids');
      case 409:
        return make(ExitCode.error, 'it exists already or changed meanwhile: look at it first, then try again');
      case 413:
        return make(ExitCode.usage, 'send less: the server takes request bodies up to 64 KiB');
      case 502:
      case 503:
      case 504:
        return make(ExitCode.unreachable, 'a ChatOrbit service or its Redis/MongoDB is down: run `orbitctl check`, then try again', `the server is up but could not serve it: ${message}`);
      default:
        return make(ExitCode.error, 'try again; if it persists, look at the server\'s logs for this request', `${method} ${path.split('?')[0]} failed with ${status}: ${message}`);
    }
  }
}
