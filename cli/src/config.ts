import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, ExitCode } from './errors.ts';

/** A saved way in: a server URL, or a release reached through a kubeconfig; and a token for it. */
export interface Context {
  name: string;
  /** The gateway's URL; absent for a context that goes through the kubeconfig. */
  server?: string;
  kube?: { kubeconfig?: string; context?: string; namespace: string; release: string };
  token?: string;
  /** When the token expires, ms since the epoch. */
  expiresAt?: number;
  user?: { id: string; username: string };
}

export interface ConfigFile {
  currentContext?: string;
  contexts: Context[];
}

/** $XDG_CONFIG_HOME/orbitctl/config.json, else ~/.config/orbitctl/config.json. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'orbitctl', 'config.json');
}

export function readConfig(path = configPath()): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw new CliError(ExitCode.error, `cannot read ${path}: ${(err as Error).message}`, 'check the file\'s permissions, or remove it and run `orbitctl login` again');
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    return { ...parsed, contexts: Array.isArray(parsed.contexts) ? parsed.contexts : [] };
  } catch {
    throw new CliError(ExitCode.error, `${path} is not valid JSON`, 'fix it by hand, or remove it and run `orbitctl login` again');
  }
}

/** Written whole (temp file + rename), readable only by the user: it holds tokens. */
export function writeConfig(config: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function currentContext(config: ConfigFile, env: NodeJS.ProcessEnv = process.env): Context | undefined {
  const name = env.ORBITCTL_CONTEXT || config.currentContext;
  if (!name) return undefined;
  const context = config.contexts.find((c) => c.name === name);
  if (!context) {
    throw new CliError(ExitCode.notFound, `context "${name}" not found${env.ORBITCTL_CONTEXT ? ' (from ORBITCTL_CONTEXT)' : ''}`, 'list them with `orbitctl config get-contexts`; pick one with `orbitctl config use-context NAME`');
  }
  return context;
}

/** Adds or replaces a context by name and makes it the current one. */
export function saveContext(context: Context, path = configPath()): void {
  const config = readConfig(path);
  config.contexts = [...config.contexts.filter((c) => c.name !== context.name), context];
  config.currentContext = context.name;
  writeConfig(config, path);
}
