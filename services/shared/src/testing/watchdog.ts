// Preload (`node --import`, e.g. through NODE_OPTIONS) into a process a test or a fault run
// starts: it exits by itself once its parent is gone (re-parented) or after
// TEST_MAX_LIFETIME_MS (default 2 hours), so no server outlives a run that was killed.
// One timer a second, unref'd.
const parent = process.ppid;
const deadline = Date.now() + Number(process.env.TEST_MAX_LIFETIME_MS ?? 7_200_000);

setInterval(() => {
  if (process.ppid !== parent || Date.now() > deadline) process.exit(3);
}, 1000).unref();
