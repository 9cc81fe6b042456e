import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { createTokenSigner, redisKeys, type TokenSigner } from '@chatorbit/shared';
import { spawnService, TestClient, waitFor, type ServiceProcess } from '@chatorbit/shared/testing';

const chatMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const gatewayMain = fileURLToPath(new URL('../../gateway/src/main.ts', import.meta.url));
const tracingEntry = fileURLToPath(new URL('../../shared/src/tracing.ts', import.meta.url));
const isType = (type: string, id?: unknown) => (f: Record<string, unknown>) => f.type === type && (id === undefined || f.id === id);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}
interface Received extends OtlpSpan {
  service: string;
  node?: string;
}
const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};
/** The database a span is a call to (current and older semantic conventions). */
const dbSystem = (span: OtlpSpan) => attr(span, 'db.system.name') ?? attr(span, 'db.system');

/**
 * Real chat processes started as deployed with tracing on (`--import` of shared/src/tracing.ts via
 * NODE_OPTIONS, OTLP over HTTP/JSON set by the standard OTEL_* variables) send their spans to an
 * OTLP receiver in this test; one process without those variables must send nothing and add
 * nothing to the bus.
 */
describe('tracing in real chat processes (OTLP exporter from OTEL_* variables)', () => {
  const id = `otlp_${process.pid}_${Date.now().toString(36)}`;
  const spans: Received[] = [];
  const processes: ServiceProcess[] = [];
  const clients: TestClient[] = [];
  let receiver: Server;
  let signer: TokenSigner;
  let base: string;
  let mongo: MongoClient;
  let watcher: Redis;
  const payloads: string[] = [];

  beforeAll(async () => {
    signer = await createTokenSigner({ issuer: 'chatorbit', audience: 'chatorbit' });
    // One loopback server: the JWKS for the chat nodes, and the OTLP/HTTP traces endpoint.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/jwks') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(signer.jwks()));
          return;
        }
        if (req.url === '/v1/traces') {
          const data = JSON.parse(body) as { resourceSpans: Array<{ resource: OtlpSpan; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
          for (const rs of data.resourceSpans) {
            const service = String(attr(rs.resource, 'service.name'));
            for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, service, node: attr(span, 'chatorbit.node') as string | undefined });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    mongo = await new MongoClient(inject('mongoUrl')).connect();
    watcher = new Redis(inject('redisUrl'));
    watcher.on('message', (_channel: string, payload: string) => payloads.push(payload));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const p of processes) await p.stop('SIGKILL');
    watcher?.disconnect();
    await mongo?.db(id).dropDatabase();
    await mongo?.close();
    receiver?.close();
  });

  const startChat = async (nodeId: string, traced: boolean) => {
    const env: Record<string, string> = {
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: id,
      MONGO_URL: inject('mongoUrl'),
      MONGO_DB: id,
      AUTH_JWKS_URL: `${base}/jwks`,
      NODE_ID: nodeId,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import=${tracingEntry}`,
      ...(traced ? { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' } : {}),
    };
    const p = await spawnService(chatMain, env);
    processes.push(p);
    return p;
  };

  it('traces a send from its node to every node that delivered it, with Redis, HTTP and MongoDB spans', async () => {
    const [chat0, chat1] = await Promise.all([startChat('chat-0', true), startChat('chat-1', true)]);
    const room = 'traced';
    await watcher.subscribe(redisKeys(id).roomChannel(room));
    const token = await signer.sign({ userId: 'u1', name: 'alice', roles: [] }, 300);
    const a = await TestClient.connect(`${chat0.url.replace('http', 'ws')}/ws?token=${token}`);
    const b = await TestClient.connect(`${chat1.url.replace('http', 'ws')}/ws?token=${token}`);
    clients.push(a, b);
    for (const c of [a, b]) await c.request({ type: 'join', room }, isType('joined'));
    const ack = await a.request({ type: 'send', room, text: 'hello', nonce: 'n1' }, isType('ack'));
    for (const c of [a, b]) await c.next(isType('message', ack.id), 5_000, 0);

    const send = await waitFor(() => spans.find((s) => s.name === 'chat send'), { message: 'the send span at the receiver' });
    expect(send).toMatchObject({ service: 'chatorbit-chat', node: 'chat-0' });
    const deliveries = await waitFor(() => {
      const found = spans.filter((s) => s.name === 'chat deliver' && s.traceId === send.traceId);
      return found.length === 2 ? found : undefined;
    }, { message: 'a delivery span from each process, in the send trace' });
    expect(deliveries.map((d) => d.node).sort()).toEqual(['chat-0', 'chat-1']);
    for (const d of deliveries) expect(d.parentSpanId).toBe(send.spanId);
    // ioredis is instrumented under ESM (the loader hook): the send script is a child of the send.
    const script = await waitFor(() => spans.find((s) => s.traceId === send.traceId && s.parentSpanId === send.spanId && dbSystem(s) === 'redis'), {
      message: 'the Redis span of the send script',
    });
    expect(script.name).toBe('evalsha');
    // The envelope on the bus carried the trace context.
    expect(payloads.some((p) => p.includes(`"traceparent":"00-${send.traceId}-${send.spanId}-01"`))).toBe(true);

    // An HTTP request carrying a traceparent continues that trace: server span, Fastify, MongoDB.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${chat1.url}/api/v1/rooms/${room}/messages?before=1`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    const inRequest = await waitFor(() => {
      const found = spans.filter((s) => s.traceId === traceId);
      return found.some((s) => dbSystem(s) === 'mongodb') ? found : undefined;
    }, { message: 'the HTTP, Fastify and MongoDB spans of the request' });
    expect(inRequest.some((s) => s.parentSpanId === '00f067aa0ba902b7')).toBe(true);
    expect(inRequest.map((s) => s.name).join(' ')).toMatch(/GET/);
    // Through the gateway (its proxy is undici, not the instrumented http module): the trace
    // continues from the gateway's span into the chat service.
    const gateway = await spawnService(gatewayMain, {
      CHAT_URL: chat1.url, AUTH_URL: base, USER_URL: base, NODE_OPTIONS: `--import=${tracingEntry}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    processes.push(gateway);
    const viaGateway = 'a3ce929d0e0e47364bf92f3577b34da6';
    const proxied = await fetch(`${gateway.url}/api/v1/rooms/${room}/messages?before=1`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${viaGateway}-00f067aa0ba902b7-01` },
    });
    expect(proxied.status).toBe(200);
    const hop = await waitFor(() => {
      const found = spans.filter((s) => s.traceId === viaGateway);
      return found.some((s) => s.service === 'chatorbit-chat') && found.some((s) => s.service === 'chatorbit-gateway') ? found : undefined;
    }, { message: 'spans of the gateway and of chat in one trace' });
    const gatewaySpans = new Set(hop.filter((s) => s.service === 'chatorbit-gateway').map((s) => s.spanId));
    expect(hop.some((s) => s.service === 'chatorbit-chat' && gatewaySpans.has(s.parentSpanId ?? ''))).toBe(true);

    // Its log lines carry the request id and the trace id.
    const logged = chat1.output().split('\n').filter((line) => line.includes(traceId));
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(JSON.parse(line)).toMatchObject({ traceId, reqId: expect.any(String) });
  });

  it('is off without OTEL_* variables: no span sent, nothing added to the bus envelope', async () => {
    const before = spans.length;
    const chat = await startChat('chat-untraced', false);
    const room = 'untraced';
    await watcher.subscribe(redisKeys(id).roomChannel(room));
    const token = await signer.sign({ userId: 'u2', name: 'bob', roles: [] }, 300);
    const c = await TestClient.connect(`${chat.url.replace('http', 'ws')}/ws?token=${token}`);
    clients.push(c);
    await c.request({ type: 'join', room }, isType('joined'));
    const ack = await c.request({ type: 'send', room, text: 'quiet', nonce: 'n1' }, isType('ack'));
    const payload = await waitFor(() => payloads.find((p) => p.includes(String(ack.id))), { message: 'the message on the bus' });
    expect(payload).not.toContain('traceparent');
    expect(spans.slice(before).filter((s) => s.node === 'chat-untraced')).toEqual([]);
    expect(chat.output()).not.toContain('traceId');
  });
});
