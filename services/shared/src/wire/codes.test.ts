import { expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { closeCodes, wsErrorCodes } from './codes.ts';

it('docs/PROTOCOL.md documents every error code and close code', async () => {
  const doc = await readFile(new URL('../../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
  for (const code of wsErrorCodes) expect(doc, code).toContain(`| \`${code}\` |`);
  for (const code of Object.values(closeCodes)) expect(doc, String(code)).toContain(`| ${code} |`);
});
