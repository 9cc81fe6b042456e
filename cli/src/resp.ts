// A minimal RESP2 client: enough for `orbitctl check` to ask Redis Sentinel a few questions
// through a port-forward without bundling a Redis driver.
import { createConnection, type Socket } from 'node:net';

export type Reply = string | number | null | Reply[] | Error;

export class RespConnection {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private readonly pending: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parse(this.buffer, 0);
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed.end);
        this.pending.shift()?.resolve(parsed.value);
      }
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static connect(host: string, port: number, timeoutMs = 5000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespConnection(socket));
      });
    });
  }

  command(...args: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
  }

  close() {
    this.socket.destroy();
  }
}

function parse(buf: Buffer, start: number): { value: Reply; end: number } | undefined {
  const eol = buf.indexOf('\r\n', start);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[start]!);
  const line = buf.toString('utf8', start + 1, eol);
  switch (type) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new Error(line), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + len), end: eol + 2 + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: eol + 2 };
      const items: Reply[] = [];
      let at = eol + 2;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}

/** A flat [k1, v1, k2, v2, …] reply as an object. */
export const pairs = (reply: Reply): Record<string, string> => {
  const out: Record<string, string> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
};

export interface SentinelView {
  master: { host: string; port: number } | null;
  masterFlags: string;
  quorum: number;
  otherSentinels: number;
  replicas: Array<{ name: string; flags: string; linkOk: boolean; offset: number }>;
}

/** What a sentinel knows of a master group: the master, its health, and its replicas' links. */
export async function askSentinel(host: string, port: number, masterName: string, password?: string): Promise<SentinelView> {
  const conn = await RespConnection.connect(host, port);
  try {
    const check = (reply: Reply) => {
      if (reply instanceof Error) throw reply;
      return reply;
    };
    if (password) check(await conn.command('AUTH', password));
    const addr = await conn.command('SENTINEL', 'get-master-addr-by-name', masterName);
    if (addr instanceof Error) throw addr;
    if (!Array.isArray(addr)) return { master: null, masterFlags: '', quorum: 0, otherSentinels: 0, replicas: [] };
    const master = pairs(check(await conn.command('SENTINEL', 'master', masterName)));
    const replicas = check(await conn.command('SENTINEL', 'replicas', masterName));
    return {
      master: { host: String(addr[0]), port: Number(addr[1]) },
      masterFlags: master.flags ?? '',
      quorum: Number(master.quorum ?? 0),
      otherSentinels: Number(master['num-other-sentinels'] ?? 0),
      replicas: (Array.isArray(replicas) ? replicas : []).map(pairs).map((r) => ({
        name: r.name ?? `${r.ip}:${r.port}`,
        flags: r.flags ?? '',
        linkOk: r['master-link-status'] === 'ok' && !/s_down|o_down|disconnected/.test(r.flags ?? ''),
        offset: Number(r['slave-repl-offset'] ?? 0),
      })),
    };
  } finally {
    conn.close();
  }
}
