// A throwaway headless Chromium driven over the DevTools protocol, for tests that need a real
// browser (a page's Content-Security-Policy, what its scripts render).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { findOnPath, isExecutable } from './spawn.ts';
import { waitFor } from './wait-for.ts';

/** The path of a Chromium or Chrome binary (`CHROMIUM_BIN`, else the PATH); throws with how to install one. */
export function chromiumBinary(): string {
  const configured = process.env.CHROMIUM_BIN;
  const bin = configured || ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].map(findOnPath).find(Boolean);
  if (!bin || !isExecutable(bin)) throw new Error('no Chromium found: apt-get install chromium, or set CHROMIUM_BIN to a Chrome or Chromium binary');
  return bin;
}

export interface BrowserPage {
  /** Every console message, log entry (CSP violations among them) and uncaught exception of the page so far. */
  messages: string[];
  /** Evaluates a JavaScript expression in the page; its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
}

export interface Browser {
  /** Opens `url` in a new tab and resolves once it has loaded. */
  open(url: string): Promise<BrowserPage>;
  close(): Promise<void>;
}

type CdpMessage = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

/** Starts headless Chromium on a fresh profile; resolves once its DevTools endpoint answers. */
export async function startBrowser(timeoutMs = 20_000): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'chatorbit-chromium-'));
  const child: ChildProcess = spawn(
    chromiumBinary(),
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Chromium's helper processes may still write to the profile for a moment after the kill.
  const cleanup = async () => {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  let socket: WebSocket;
  try {
    const endpoint = await waitFor(() => /DevTools listening on (ws:\/\/\S+)/.exec(stderr)?.[1], { timeoutMs, intervalMs: 50, message: 'Chromium to start' });
    socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
  } catch (err) {
    await cleanup();
    throw new Error(`${(err as Error).message}\n--- Chromium's stderr ---\n${stderr}`, { cause: err });
  }

  let nextId = 0;
  const pending = new Map<number, { resolve: (m: CdpMessage) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, (m: CdpMessage) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as CdpMessage;
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message);
    } else if (message.sessionId) listeners.get(message.sessionId)?.(message);
  });
  const call = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<CdpMessage>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  return {
    async open(url) {
      const target = await call('Target.createTarget', { url: 'about:blank' });
      const attached = await call('Target.attachToTarget', { targetId: target.result!.targetId, flatten: true });
      const sessionId = attached.result!.sessionId as string;
      const messages: string[] = [];
      let loaded = false;
      listeners.set(sessionId, (m) => {
        const p = m.params ?? {};
        if (m.method === 'Log.entryAdded') messages.push(String((p.entry as { text: string }).text));
        else if (m.method === 'Runtime.consoleAPICalled') messages.push((p.args as Array<{ value?: unknown; description?: string }>).map((a) => String(a.value ?? a.description)).join(' '));
        else if (m.method === 'Runtime.exceptionThrown') messages.push(JSON.stringify(p.exceptionDetails));
        else if (m.method === 'Page.loadEventFired') loaded = true;
      });
      for (const domain of ['Log', 'Runtime', 'Page']) await call(`${domain}.enable`, {}, sessionId);
      await call('Page.navigate', { url }, sessionId);
      await waitFor(() => loaded, { timeoutMs, message: `${url} to load` });
      return {
        messages,
        async evaluate<T>(expression: string) {
          const answer = await call('Runtime.evaluate', { expression, returnByValue: true }, sessionId);
          return (answer.result!.result as { value: T }).value;
        },
      };
    },
    async close() {
      socket.close();
      await cleanup();
    },
  };
}
