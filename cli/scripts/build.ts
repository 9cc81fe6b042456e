// Bundles orbitctl into one executable file: dist/orbitctl.mjs (or --outfile PATH), with a node
// shebang. Every dependency is inside it; installing it needs nothing from a registry.
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: 'string' } } });
const outfile = values.outfile ?? `${root}dist/orbitctl.mjs`;

const result = await build({
  entryPoints: [`${root}src/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // src/main.ts starts with `#!/usr/bin/env node`, which esbuild keeps on the first line.
  // Some bundled CommonJS dependencies call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __orbitctlRequire } from 'node:module'; const require = __orbitctlRequire(import.meta.url);" },
  // Mostly the generated Kubernetes API client, then the MongoDB driver (check); about 5 MiB minified.
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
chmodSync(outfile, 0o755);
const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
process.stdout.write(`${outfile} (${(bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
