import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestTracing } from '@chatorbit/shared/testing/tracing';

// The SDK and its loader hooks start before ioredis, fastify and the chat code are imported.
const { exporter, sdk } = await startTestTracing('chatorbit-chat');
const { createRedis } = await import('@chatorbit/shared');
const { waitFor } = await import('@chatorbit/shared/testing');
const { ChatCluster, isType, unlimited } = await import('./behaviour/harness.ts');

type Span = ReturnType<typeof exporter.getFinishedSpans>[number];
const parentOf = (span: Span) => span.parentSpanContext?.spanId;

/**
 * Two chat nodes in one process share one Redis; spans go to an in-memory exporter. A message
 * sent on node 0 is delivered by both nodes, and every span of its path is in one trace.
 */
describe('tracing across two chat nodes on one Redis (in-memory exporter)', () => {
  const id = `tracing_${process.pid}_${Date.now().toString(36)}`;
  let cluster: InstanceType<typeof ChatCluster>;

  beforeAll(async () => {
    const url = inject('redisUrl');
    cluster = await new ChatCluster(
      { name: 'redis', env: { REDIS_PREFIX: id }, clients: () => ({ redis: (role) => createRedis(url, `tracing-${role}`) }), close: async () => {} },
      { ...unlimited, BATCH_WINDOW_MS: '0' },
    ).start(2);
  });

  afterAll(async () => {
    await cluster?.stop();
    await sdk.shutdown();
  });

  it('puts the send on one node and the deliveries on every node in one trace, one span per node', async () => {
    const room = `r-${id}`;
    const sender = await cluster.connect(0);
    const members = [await cluster.connect(0), await cluster.connect(1), await cluster.connect(1), await cluster.connect(1)];
    for (const c of [sender, ...members]) await c.request({ type: 'join', room }, isType('joined'));
    exporter.reset();

    const ack = await sender.request({ type: 'send', room, text: 'traced', nonce: 'n1' }, isType('ack'));
    for (const c of [sender, ...members]) await c.next(isType('message', { id: ack.id }), 5_000, 0);

    const send = await waitFor(() => exporter.getFinishedSpans().find((s) => s.name === 'chat send'), { message: 'the send span' });
    const traceId = send.spanContext().traceId;
    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    // One delivery span per node (node 0 has 1 member and the sender, node 1 has 3): never one per recipient.
    const deliveries = await waitFor(() => {
      const found = inTrace().filter((s) => s.name === 'chat deliver');
      return found.length >= 2 ? found : undefined;
    }, { message: 'a delivery span from each node' });
    expect(deliveries).toHaveLength(2);
    expect(new Set(deliveries.map((s) => s.attributes['chatorbit.node'])).size).toBe(2);
    expect(deliveries.map((s) => s.attributes['chatorbit.local_members']).sort()).toEqual([2, 3]);
    for (const d of deliveries) {
      expect(parentOf(d)).toBe(send.spanContext().spanId);
      expect(d.attributes['chatorbit.seq']).toBe(ack.seq);
    }
    // The send script's Redis command is a child of the send span (ioredis instrumented under ESM).
    // (ioredis, HTTP and MongoDB spans under the `--import` loader hook are checked with real
    // processes in tracing.otlp.int.test.ts: vitest's own module loading bypasses the hook.)
    for (const c of [sender, ...members]) c.close();
  });

  it('adds nothing to the bus envelope of an unsampled send', async () => {
    const { encodeDraft } = await import('./broker/broker.ts');
    const draft = { id: 'x', room: 'r', user: { id: 'u', name: 'n' }, text: 't', ts: 1 };
    expect(encodeDraft('node', draft).envelopePrefix).toBe('{"v":1,"type":"message","node":"node","message":');
    expect(encodeDraft('node', { ...draft, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }).envelopePrefix).toBe(
      '{"v":1,"type":"message","node":"node","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","message":',
    );
  });
});
