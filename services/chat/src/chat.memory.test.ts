import { describe } from 'vitest';
import { MemoryBus } from './broker/memory-broker.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { chatBehaviour } from './behaviour/suite.ts';
import { moderationBehaviour } from './behaviour/moderation-suite.ts';
import { presenceBehaviour } from './behaviour/presence-suite.ts';
import { accountsBehaviour } from './behaviour/accounts-suite.ts';
import { limitsBehaviour } from './behaviour/limits-suite.ts';

describe('chat on the embedded (memory) engine', () => {
  chatBehaviour(async (config) => {
    const bus = new MemoryBus({
      log: new MemoryMessageLog(),
      recentSize: config.RECENT_HISTORY_SIZE,
      configLimit: { messages: config.RATE_LIMIT_MESSAGES, perSec: config.RATE_LIMIT_PER_SEC, exempt: [] },
    });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});

describe('moderation on the embedded (memory) engine', () => {
  moderationBehaviour(async () => {
    const bus = new MemoryBus({ log: new MemoryMessageLog(), configLimit: { messages: 0, perSec: 1, exempt: [] } });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});

describe('presence on the embedded (memory) engine', () => {
  presenceBehaviour(async () => {
    const bus = new MemoryBus({ log: new MemoryMessageLog(), configLimit: { messages: 0, perSec: 1, exempt: [] } });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});

describe('guests and deactivated accounts on the embedded (memory) engine', () => {
  accountsBehaviour(async () => {
    const bus = new MemoryBus({ log: new MemoryMessageLog() });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});

describe('connection limits on the embedded (memory) engine', () => {
  limitsBehaviour(async () => {
    const bus = new MemoryBus({ log: new MemoryMessageLog() });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});
