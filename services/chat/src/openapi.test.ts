import { expect, it } from 'vitest';
import { MemoryBus } from './broker/memory-broker.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { ChatCluster } from './behaviour/harness.ts';

it('serves an OpenAPI 3.1 document of every chat route, moderation with examples', async () => {
  const bus = new MemoryBus({ log: new MemoryMessageLog() });
  const cluster = await new ChatCluster({ name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} }).start(1);
  try {
    const res = await cluster.nodes[0]!.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { example?: unknown }> } }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/rooms/{room}/messages',
      '/api/v1/rooms/{room}/messages/{id}',
      '/api/v1/rooms/{room}/bans',
      '/api/v1/rooms/{room}/bans/{userId}',
      '/api/v1/bans',
      '/api/v1/rooms/{room}/roles/{userId}',
      '/api/v1/rooms/{room}/ratelimit',
      '/api/v1/ratelimit',
      '/api/v1/rooms/{room}/settings',
      '/api/v1/settings',
      '/api/v1/rooms/{room}/audit',
      '/api/v1/audit',
      '/api/v1/audit/{id}/undo',
      '/api/v1/rooms/{room}/clear',
      '/api/v1/rooms/{room}/presence',
      '/api/v1/rooms/{room}/members',
      '/api/v1/rooms',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/healthz']).toBeUndefined();
    const ban = doc.paths['/api/v1/rooms/{room}/bans']!.post!.requestBody!.content['application/json']!;
    expect(ban.example).toMatchObject({ userId: expect.any(String), durationSec: 600 });
    const presence = doc.paths['/api/v1/rooms/{room}/presence'] as unknown as { get: { tags: string[]; responses: Record<string, { content: Record<string, { example?: unknown }> }> } };
    expect(presence.get.tags).toEqual(['presence']);
    expect(presence.get.responses['200']!.content['application/json']!.example).toMatchObject({ viewers: expect.any(Number) });
  } finally {
    await cluster.stop();
  }
});
