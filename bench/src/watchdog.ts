// Preloaded (node --import) into every process the bench starts, servers included: the process
// exits by itself when the orchestrator is gone (re-parented) or after BENCH_MAX_LIFETIME_MS,
// so no load or server outlives a run that was killed. One timer a second, unref'd.
const parent = process.ppid;
const deadline = Date.now() + Number(process.env.BENCH_MAX_LIFETIME_MS ?? 3_600_000);

setInterval(() => {
  if (process.ppid !== parent || Date.now() > deadline) process.exit(3);
}, 1000).unref();
