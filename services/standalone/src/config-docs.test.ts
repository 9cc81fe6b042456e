import { expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { renderConfigDocs } from './config-docs.ts';

it('docs/CONFIG.md matches the config schemas (run `pnpm docs:config` after changing one)', async () => {
  const onDisk = await readFile(new URL('../../../docs/CONFIG.md', import.meta.url), 'utf8');
  expect(onDisk).toBe(renderConfigDocs());
});
