// `pnpm dashboards`: writes monitoring/dashboards/*.json from dashboards.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dashboardFiles } from './dashboards.ts';

const dir = fileURLToPath(new URL('../../../../monitoring/dashboards/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [file, content] of dashboardFiles()) writeFileSync(`${dir}${file}`, content);
process.stdout.write(`wrote ${dashboardFiles().size} dashboards to monitoring/dashboards/\n`);
