import { describe } from 'vitest';
import { MemoryBus } from './broker/memory-broker.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { compatBehaviour } from './behaviour/compat-suite.ts';

describe("the original frontend's API on the embedded (memory) engine", () => {
  compatBehaviour(async (config) => {
    const bus = new MemoryBus({
      log: new MemoryMessageLog(),
      recentSize: config.RECENT_HISTORY_SIZE,
      configLimit: { messages: config.RATE_LIMIT_MESSAGES, perSec: config.RATE_LIMIT_PER_SEC, exempt: [] },
    });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});
