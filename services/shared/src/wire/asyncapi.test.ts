import { expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { buildAsyncApi, renderAsyncApi } from './asyncapi.ts';
import { closeCodes, wsErrorCodes } from './codes.ts';
import { clientFrameSchemas, ServerFrame } from './frames.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON document
const doc = buildAsyncApi() as Json;

it('is a valid AsyncAPI 3.0 document (the official JSON schema)', () => {
  const schema = createRequire(import.meta.url)('@asyncapi/specs/schemas/3.0.0-without-$id.json') as object;
  const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
  expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
});

it('describes every frame of both protocols, every error code and every close code', () => {
  const v1 = doc.channels.v1.messages as Json;
  for (const type of Object.keys(clientFrameSchemas)) expect(v1[type], type).toEqual({ $ref: `#/components/messages/client.${type}` });
  const serverTypes = (ServerFrame.anyOf as Json[]).map((s) => JSON.stringify(s).match(/"type":\{"type":"string","const":"(\w+)"\}/)?.[1]);
  expect(serverTypes).not.toContain(undefined);
  for (const type of serverTypes) expect(doc.components.messages[`server.${type}`]?.payload, type).toBeDefined();
  expect(Object.keys(doc.channels.compat.messages)).toEqual(['post', 'message', 'error']);
  expect(doc.components.messages['compat.post'].payload.required).toEqual(['content']);

  expect(doc['x-error-codes'].map((c: Json) => c.code)).toEqual([...wsErrorCodes]);
  expect(doc['x-close-codes'].map((c: Json) => c.code).sort()).toEqual(Object.values(closeCodes).sort());
  for (const entry of [...doc['x-error-codes'], ...doc['x-close-codes']]) expect(entry.meaning, JSON.stringify(entry)).not.toBe('');
  for (const code of Object.values(closeCodes)) expect(doc.info.description).toContain(`| ${code} |`);
});

it('has every $ref resolve inside the document', () => {
  const refs = JSON.stringify(doc).match(/"\$ref":"#\/[^"]+"/g) ?? [];
  expect(refs.length).toBeGreaterThan(20);
  for (const ref of refs) {
    const path = ref.slice(10, -1).split('/');
    let node: unknown = doc;
    for (const key of path) node = (node as Json | undefined)?.[key];
    expect(node, ref).toBeDefined();
  }
});

it('docs/asyncapi.json is current (run `pnpm docs:asyncapi` after changing a frame or a code)', async () => {
  const onDisk = await readFile(new URL('../../../../docs/asyncapi.json', import.meta.url), 'utf8');
  expect(onDisk).toBe(renderAsyncApi());
});
