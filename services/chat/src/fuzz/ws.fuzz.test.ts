// Fuzzes the v1 WebSocket protocol with fast-check: valid-looking frames with wrong fields,
// arbitrary JSON, arbitrary strings, binary frames, invalid UTF-8, deep nesting and oversized
// frames. Every case must get a documented answer (a server frame, or a documented close code),
// the node must keep serving, and its heap must come back to where it was.
//
// FUZZ_RUNS sets the cases per property (default 4,000 in `pnpm test`; `pnpm test:fuzz` runs
// 34,000 per property, over 100,000 in all); FUZZ_SEED replays a run (its seed is printed first).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCodes, wsErrorCodes } from '@chatorbit/shared';
import { MemoryBus } from '../broker/memory-broker.ts';
import { MemoryMessageLog } from '../history/memory-message-log.ts';
import { ChatCluster, unlimited } from '../behaviour/harness.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 4_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`ws fuzz: seed ${seed}, ${runs} runs per property (replay with FUZZ_SEED=${seed})`);

const serverFrameTypes = new Set(['joined', 'left', 'message', 'batch', 'ack', 'error', 'banned', 'pong', 'settings', 'deleted', 'cleared', 'purged', 'presence']);
/** Close codes a fuzzed frame may legitimately end a socket with. */
const allowedCloses = new Set<number>([closeCodes.messageTooBig, closeCodes.invalidPayload]);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** One fuzzing socket: sends raw frames, collects every answer, reconnects after a close. */
class FuzzSocket {
  private socket!: WebSocket;
  private readonly url: string;
  answers = 0;
  bad: string[] = [];
  closes: number[] = [];
  private pongs = 0;
  private waiting: (() => void) | undefined;

  constructor(url: string) {
    this.url = url;
  }

  async open() {
    this.socket = new WebSocket(this.url);
    this.socket.on('message', (data, isBinary) => {
      this.answers++;
      let frame: { type?: unknown; code?: unknown };
      try {
        frame = JSON.parse(String(data)) as typeof frame;
      } catch {
        this.bad.push(`not JSON: ${String(data).slice(0, 80)}`);
        return;
      }
      if (isBinary || typeof frame.type !== 'string' || !serverFrameTypes.has(frame.type)) this.bad.push(`unknown frame ${String(data).slice(0, 120)}`);
      if (frame.type === 'error' && !(wsErrorCodes as readonly unknown[]).includes(frame.code)) this.bad.push(`undocumented error code ${String(frame.code)}`);
      if (frame.type === 'pong') {
        this.pongs++;
        this.waiting?.();
      }
    });
    this.socket.on('close', (code) => {
      this.closes.push(code);
      this.waiting?.();
    });
    await new Promise<void>((resolve, reject) => {
      this.socket.once('open', resolve);
      this.socket.once('error', reject);
    });
  }

  /** Sends the case, then a ping: resolves once the pong (or a close) shows the case was handled. */
  async exchange(data: string | Buffer, binary: boolean) {
    const pongs = this.pongs;
    const closes = this.closes.length;
    this.socket.send(data, { binary });
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send('{"type":"ping"}');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pong and no close within 5 s: the node stopped answering')), 5_000);
      this.waiting = () => {
        if (this.pongs > pongs || this.closes.length > closes) {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve();
        }
      };
      this.waiting();
    });
    if (this.closes.length > closes) {
      const code = this.closes.at(-1)!;
      if (!allowedCloses.has(code)) this.bad.push(`closed with ${code} after ${String(data).slice(0, 80)}`);
      await this.open();
    }
  }

  close() {
    this.socket.close();
  }
}

const room = fc.oneof(fc.constantFrom('r1', 'r2', 'lobby'), fc.string({ maxLength: 80 }));
const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 40 }));
/** Frames with a real type and fields that are right, wrong, missing or extra. */
const shapedFrame = fc.record(
  {
    type: fc.constantFrom('join', 'leave', 'send', 'ping', 'unknown', ''),
    room: fc.oneof(room, anything),
    text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 600 }), anything),
    nonce: fc.oneof(fc.string({ maxLength: 80 }), anything),
    since: fc.oneof(fc.integer(), fc.double(), anything),
    extra: anything,
  },
  { requiredKeys: [] },
).map((f) => JSON.stringify(f));

describe('fuzzing the WebSocket protocol', () => {
  let cluster: ChatCluster;
  let socket: FuzzSocket;

  beforeAll(async () => {
    fc.configureGlobal({ seed, numRuns: runs, endOnFailure: true });
    const bus = new MemoryBus({ log: new MemoryMessageLog(), recentSize: 100, configLimit: { messages: 0, perSec: 1, exempt: [] } });
    cluster = await new ChatCluster({ name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} }, { ...unlimited, MAX_FRAME_BYTES: '4096' }).start(1);
    socket = new FuzzSocket(`${cluster.nodes[0]!.wsUrl}?token=${await cluster.token('0123456789abcdef01234567', 'fuzzer')}`);
    await socket.open();
  });

  afterAll(async () => {
    socket?.close();
    await cluster?.stop();
  });

  type Case = { data: string | Buffer; binary: boolean };
  const check = async (cases: fc.Arbitrary<Case>) => {
    await fc.assert(fc.asyncProperty(cases, ({ data, binary }) => socket.exchange(data, binary)));
    expect(socket.bad).toEqual([]);
  };
  const text = (data: string): Case => ({ data, binary: false });

  it('answers frames of every type with wrong, missing and extra fields', { timeout: 300_000 }, async () => {
    await check(shapedFrame.map(text));
  });

  it('answers arbitrary JSON and arbitrary text', { timeout: 300_000 }, async () => {
    await check(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ unit: 'binary', maxLength: 200 })).map(text));
  });

  it('refuses binary frames, invalid UTF-8, deep nesting and oversized frames', { timeout: 300_000 }, async () => {
    const raw = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => ({ data: Buffer.from(b), binary: true })),
      // Text frames whose bytes need not be UTF-8: ws closes invalid ones with 1007.
      fc.uint8Array({ minLength: 1, maxLength: 100 }).map((b) => ({ data: Buffer.from(b), binary: false })),
      fc.integer({ min: 1, max: 20_000 }).map((depth) => ({ data: '['.repeat(depth) + ']'.repeat(depth), binary: false })),
      fc.integer({ min: 4_000, max: 20_000 }).map((size) => ({ data: JSON.stringify({ type: 'send', room: 'r1', text: 'x'.repeat(size), nonce: 'n' }), binary: false })),
    );
    await check(raw);
  });

  it('keeps serving, and its heap comes back, after the fuzzing', { timeout: 60_000 }, async () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    await fc.assert(fc.asyncProperty(shapedFrame, (data) => socket.exchange(data, false)), { numRuns: Math.min(runs, 5_000) });
    socket.close();
    const client = await cluster.connect(0);
    await client.request({ type: 'join', room: 'after-fuzz' }, (f) => f.type === 'joined');
    const ack = await client.request({ type: 'send', room: 'after-fuzz', text: 'still here', nonce: 'a' }, (f) => f.type === 'ack');
    expect(ack.seq).toBe(1);
    client.close();
    gc();
    // Bounded: 5,000 more cases leave no more than a few MB behind (stored messages are counted in).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 1024 * 1024);
    console.log(`ws fuzz: ${socket.answers} server frames checked, heap ${(before / 1048576).toFixed(1)} → ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`);
  });
});
