import { configPath, currentContext, readConfig, type Context } from './config.ts';
import { CliError, ExitCode } from './errors.ts';
import { ApiClient, ApiError } from './http.ts';
import { parseDuration } from './duration.ts';
import type { KubeTarget } from './kube/cluster.ts';
import { SavedToken, type SessionResponse, type TokenProvider } from './tokens.ts';

/** The options every command takes (commander's global options). */
export interface GlobalFlags {
  output?: string;
  headers?: boolean;
  server?: string;
  token?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  release?: string;
  requestTimeout?: string;
}

export const DEFAULT_RELEASE = 'chatorbit';

export interface Session {
  api: ApiClient;
  /** Where the connection goes: a URL, a saved context or a port-forward. */
  via: string;
  kube?: { namespace: string; release: string; gateway: string };
  close(): Promise<void>;
}

const kubeFlagsGiven = (flags: GlobalFlags) => Boolean(flags.kubeconfig || flags.context || flags.namespace || flags.release);

/**
 * How a command reaches ChatOrbit, first match wins:
 * 1. --server (or ORBITCTL_SERVER), with --token / ORBITCTL_TOKEN, else the token saved for that server;
 * 2. the current orbitctl context (`orbitctl login`, `config use-context`, ORBITCTL_CONTEXT),
 *    unless Kubernetes flags were given;
 * 3. the kubeconfig: the release's gateway Service, port-forwarded, with a token saved by
 *    `orbitctl login` for the release, else the release's operator credential (a fresh login each
 *    run, so it never expires).
 * Saved tokens refresh by themselves (SavedToken); --token / ORBITCTL_TOKEN are used as given.
 */
export async function openSession(flags: GlobalFlags, env: NodeJS.ProcessEnv, opts: { auth?: boolean } = {}): Promise<Session> {
  const auth = opts.auth !== false;
  const timeoutMs = flags.requestTimeout ? parseDuration(flags.requestTimeout, '--request-timeout') * 1000 : 30_000;
  const config = readConfig(configPath(env));
  const explicitToken = flags.token || env.ORBITCTL_TOKEN || undefined;
  const tokenSource = flags.token ? '--token' : 'ORBITCTL_TOKEN';
  const server = flags.server || env.ORBITCTL_SERVER;
  if (server) {
    const source = flags.server ? `--server ${server}` : `ORBITCTL_SERVER=${server}`;
    if (!/^https?:\/\//.test(server)) throw new CliError(ExitCode.usage, `${source}: not an http(s) URL`, 'write it like https://chat.example.com or http://127.0.0.1:8080');
    const saved = auth && !explicitToken ? config.contexts.find((c) => c.server && sameServer(c.server, server) && (c.token || c.refreshToken)) : undefined;
    const token = explicitToken ?? (saved ? savedToken(env, saved, server, source, timeoutMs) : undefined);
    return direct(server, token, source, explicitToken ? tokenSource : saved ? `context ${saved.name}` : source, timeoutMs);
  }
  const context = kubeFlagsGiven(flags) ? undefined : currentContext(config, env);
  if (context?.server) {
    const via = `context ${context.name}`;
    const token = explicitToken ?? (auth && (context.token || context.refreshToken) ? savedToken(env, context, context.server, via, timeoutMs) : undefined);
    return direct(context.server, token, via, explicitToken ? tokenSource : via, timeoutMs);
  }
  const target: KubeTarget = {
    kubeconfig: flags.kubeconfig ?? context?.kube?.kubeconfig,
    context: flags.context ?? context?.kube?.context,
    namespace: flags.namespace ?? context?.kube?.namespace,
    release: flags.release ?? context?.kube?.release ?? DEFAULT_RELEASE,
  };
  return throughKube(target, { auth, explicitToken, tokenSource, saved: context, config: config.contexts, env, timeoutMs });
}

function direct(server: string, token: string | TokenProvider | undefined, via: string, tokenSource: string, timeoutMs: number): Session {
  return { api: new ApiClient({ server, token, source: via, tokenSource, timeoutMs }), via, close: async () => {} };
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** A context's saved token, refreshed through `server` (the gateway it reaches) when it expires. */
function savedToken(env: NodeJS.ProcessEnv, context: Context, server: string, source: string, timeoutMs: number): SavedToken {
  const anonymous = new ApiClient({ server, source, timeoutMs });
  return new SavedToken({
    path: configPath(env),
    context,
    refresh: (refreshToken) => anonymous.request<SessionResponse>('POST', '/api/v1/auth/refresh', { body: { refreshToken }, auth: false }),
  });
}

async function throughKube(
  target: KubeTarget,
  opts: { auth: boolean; explicitToken?: string; tokenSource: string; saved?: Context; config: Context[]; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Session> {
  const kube = await import('./kube/cluster.ts');
  const kc = kube.loadKubeConfig(target);
  const namespace = kube.namespaceOf(kc, target);
  const gateway = await kube.findGateway(kc, namespace, target.release);
  const forwarder = kube.forwarderFor(kc, opts.env);
  const forward = await forwarder.open({ namespace, pod: gateway.pod, port: gateway.port });
  const via = `port-forward to ${namespace}/${gateway.pod} (release ${target.release})`;
  const session = (token?: string | TokenProvider, tokenSource = via): Session => ({
    api: new ApiClient({ server: forward.url, token, source: via, tokenSource, timeoutMs: opts.timeoutMs }),
    via,
    kube: { namespace, release: target.release, gateway: gateway.pod },
    close: forward.close,
  });
  try {
    if (!opts.auth) return session();
    if (opts.explicitToken) return session(opts.explicitToken, opts.tokenSource);
    const saved = opts.config.find((c) => c.kube && c.kube.release === target.release && c.kube.namespace === namespace && (c.kube.context ?? '') === (target.context ?? '') && SavedToken.usable(c));
    if (saved) return session(savedToken(opts.env, saved, forward.url, via, opts.timeoutMs), `context ${saved.name}`);
    const credential = await kube.readOperatorCredential(kc, namespace, target.release);
    const loginHint = `log in: \`orbitctl login${target.context ? ` --context ${target.context}` : ''} -n ${namespace} --release ${target.release}\`, or pass --token`;
    if (!credential) {
      throw new CliError(ExitCode.forbidden, `no operator credential for release ${target.release}: its auth Deployment has no ADMIN_USERNAME/ADMIN_PASSWORD that you may read`, loginHint);
    }
    const anonymous = new ApiClient({ server: forward.url, source: via, timeoutMs: opts.timeoutMs });
    let login: SessionResponse;
    try {
      login = await anonymous.request<SessionResponse>('POST', '/api/v1/auth/login', { body: { login: credential.username, password: credential.password }, auth: false });
    } catch (err) {
      if (err instanceof ApiError && err.exitCode === ExitCode.forbidden) {
        throw new CliError(ExitCode.forbidden, `the operator credential in ${credential.source} was refused: ${err.serverMessage}`, `auth reads it at start-up: restart auth after changing it (\`kubectl -n ${namespace} rollout restart deployment -l app.kubernetes.io/instance=${target.release},app.kubernetes.io/component=auth\`); or ${loginHint}`);
      }
      throw err;
    }
    return session(login.accessToken, `${credential.source} (${credential.username})`);
  } catch (err) {
    await forward.close();
    throw err;
  }
}
