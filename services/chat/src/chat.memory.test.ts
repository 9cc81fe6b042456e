import { describe } from 'vitest';
import { MemoryBus } from './broker/memory-broker.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { chatBehaviour } from './behaviour/suite.ts';

describe('chat on the embedded (memory) engine', () => {
  chatBehaviour(async (config) => {
    const bus = new MemoryBus({ log: new MemoryMessageLog(), recentSize: config.RECENT_HISTORY_SIZE });
    return { name: 'memory', clients: () => ({ memoryBus: bus }), close: async () => {} };
  });
});
