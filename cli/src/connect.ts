import { configPath, currentContext, readConfig, type Context } from './config.ts';
import { CliError, ExitCode } from './errors.ts';
import { ApiClient } from './http.ts';
import { parseDuration } from './duration.ts';
import type { KubeTarget } from './kube/cluster.ts';

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

interface Login {
  accessToken: string;
  expiresIn: number;
  user: { id: string; username: string };
}

const kubeFlagsGiven = (flags: GlobalFlags) => Boolean(flags.kubeconfig || flags.context || flags.namespace || flags.release);

/**
 * How a command reaches ChatOrbit, first match wins:
 * 1. --server (or ORBITCTL_SERVER), with --token / ORBITCTL_TOKEN, else the token saved for that server;
 * 2. the current orbitctl context (`orbitctl login`, `config use-context`, ORBITCTL_CONTEXT),
 *    unless Kubernetes flags were given;
 * 3. the kubeconfig: the release's gateway Service, port-forwarded, with the release's operator
 *    credential (a fresh login each run, so it never expires) or a token saved by `orbitctl login`.
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
    const saved = config.contexts.find((c) => c.server && sameServer(c.server, server) && c.token);
    const token = explicitToken ?? (auth && saved ? usableToken(saved) : undefined);
    return direct(server, token, source, explicitToken ? tokenSource : saved ? `context ${saved.name}` : source, timeoutMs);
  }
  const context = kubeFlagsGiven(flags) ? undefined : currentContext(config, env);
  if (context?.server) {
    const token = explicitToken ?? (auth ? usableToken(context) : undefined);
    return direct(context.server, token, `context ${context.name}`, explicitToken ? tokenSource : `context ${context.name}`, timeoutMs);
  }
  const target: KubeTarget = {
    kubeconfig: flags.kubeconfig ?? context?.kube?.kubeconfig,
    context: flags.context ?? context?.kube?.context,
    namespace: flags.namespace ?? context?.kube?.namespace,
    release: flags.release ?? context?.kube?.release ?? DEFAULT_RELEASE,
  };
  return throughKube(target, { auth, explicitToken, tokenSource, saved: context, config: config.contexts, env, timeoutMs });
}

function direct(server: string, token: string | undefined, via: string, tokenSource: string, timeoutMs: number): Session {
  return { api: new ApiClient({ server, token, source: via, tokenSource, timeoutMs }), via, close: async () => {} };
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** A saved token, unless it has expired (then: log in again). */
function usableToken(context: Context): string | undefined {
  if (!context.token) return undefined;
  if (context.expiresAt !== undefined && context.expiresAt <= Date.now()) {
    throw new CliError(ExitCode.forbidden, `the token saved in context ${context.name} expired at ${new Date(context.expiresAt).toISOString()}`, `log in again: \`orbitctl login${context.server ? ` --server ${context.server}` : ''}\``, 'token_expired');
  }
  return context.token;
}

async function throughKube(
  target: KubeTarget,
  opts: { auth: boolean; explicitToken?: string; tokenSource: string; saved?: Context; config: Context[]; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Session> {
  const kube = await import('./kube/cluster.ts');
  const kc = kube.loadKubeConfig(target);
  const namespace = kube.namespaceOf(kc, target);
  const gateway = await kube.findGateway(kc, namespace, target.release);
  // ORBITCTL_PORT_FORWARD_URL: a debugging and test hook that replaces the port-forward with a
  // URL already reaching the gateway pod (e.g. a `kubectl port-forward` of your own).
  const forwarder = opts.env.ORBITCTL_PORT_FORWARD_URL
    ? { open: async () => ({ url: opts.env.ORBITCTL_PORT_FORWARD_URL!, close: async () => {} }) }
    : new kube.KubeForwarder(kc);
  const forward = await forwarder.open({ namespace, pod: gateway.pod, port: gateway.port });
  const via = `port-forward to ${namespace}/${gateway.pod} (release ${target.release})`;
  const session = (token?: string, tokenSource = via): Session => ({
    api: new ApiClient({ server: forward.url, token, source: via, tokenSource, timeoutMs: opts.timeoutMs }),
    via,
    kube: { namespace, release: target.release, gateway: gateway.pod },
    close: forward.close,
  });
  try {
    if (!opts.auth) return session();
    if (opts.explicitToken) return session(opts.explicitToken, opts.tokenSource);
    const saved = opts.config.find((c) => c.kube && c.kube.release === target.release && c.kube.namespace === namespace && (c.kube.context ?? '') === (target.context ?? '') && c.token && (c.expiresAt ?? Infinity) > Date.now());
    if (saved) return session(saved.token, `context ${saved.name}`);
    const credential = await kube.readOperatorCredential(kc, namespace, target.release);
    if (!credential) {
      throw new CliError(ExitCode.forbidden, `no operator credential for release ${target.release}: no readable Secret with ADMIN_USERNAME/ADMIN_PASSWORD`, `log in: \`orbitctl login -n ${namespace} --release ${target.release}\`, or pass --token`);
    }
    const anonymous = new ApiClient({ server: forward.url, source: via, timeoutMs: opts.timeoutMs });
    const login = await anonymous.request<Login>('POST', '/api/v1/auth/login', { body: { login: credential.username, password: credential.password }, auth: false });
    return session(login.accessToken, `Secret ${credential.secret} (${credential.username})`);
  } catch (err) {
    await forward.close();
    throw err;
  }
}
