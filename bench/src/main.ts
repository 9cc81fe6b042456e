import { parseOptions, USAGE, type BenchOptions } from './options.ts';
import { formatTables } from './report/table.ts';
import { writeReport } from './report/write.ts';
import { runBench } from './run.ts';

let options: BenchOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (!options) {
  console.log(USAGE);
  process.exit(0);
}

// Children are killed by the 'exit' handlers (proc.ts, the Redis helper); a signal must go
// through process.exit for those to run.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const report = await runBench(options, (line) => console.error(line));
console.log(formatTables(report));
const files = writeReport(report, options.out);
console.log(`\n${files.json}\n${files.svg}`);
process.exitCode = report.runs.some((r) => r.error) ? 1 : 0;
