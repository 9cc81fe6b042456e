import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, ExitCode } from './errors.ts';

/** A saved way in: a server URL, or a release reached through a kubeconfig; and a token for it. */
export interface Context {
  name: string;
  /** The gateway's URL; absent for a context that goes through the kubeconfig. */
  server?: string;
  kube?: { kubeconfig?: string; context?: string; namespace: string; release: string };
  /** The access token. */
  token?: string;
  /** When the access token expires, ms since the epoch. */
  expiresAt?: number;
  /** The refresh token: traded for a new access token (and a new refresh token) when that expires. */
  refreshToken?: string;
  /** When the refresh token expires unused, ms since the epoch (each use starts it again). */
  refreshExpiresAt?: number;
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

/** A lock left behind by a process that died is taken over after this long at the latest. */
const STALE_LOCK_MS = 60_000;

function lockIsStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true; // its process is gone
      }
    }
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false; // gone meanwhile, or being written: try again
  }
}

/**
 * Runs `fn` holding `<config>.lock` (created exclusively, holding our pid), so that orbitctl
 * processes running at once never lose each other's writes, and never refresh one session twice
 * (auth would take the second use of a refresh token for a stolen copy and end the session).
 */
export async function withConfigLock<T>(path: string, fn: () => Promise<T> | T, timeoutMs = 20_000): Promise<T> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError(ExitCode.error, `cannot lock ${path}: ${(err as Error).message}`, "check the permissions of orbitctl's config directory");
      }
      if (lockIsStale(lock)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new CliError(ExitCode.error, `${lock} is held by another orbitctl (pid ${readFileSync(lock, 'utf8').trim() || '?'})`, 'wait for it to finish; if no orbitctl is running, remove the file');
      }
      await sleep(10 + Math.random() * 20);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Reads, changes and writes the config file under the lock. */
export function updateConfig<T>(path: string, change: (config: ConfigFile) => T): Promise<T> {
  return withConfigLock(path, () => {
    const config = readConfig(path);
    const result = change(config);
    writeConfig(config, path);
    return result;
  });
}

/** Adds or replaces a context by name and makes it the current one. */
export function saveContext(context: Context, path = configPath()): Promise<void> {
  return updateConfig(path, (config) => {
    config.contexts = [...config.contexts.filter((c) => c.name !== context.name), context];
    config.currentContext = context.name;
  });
}
