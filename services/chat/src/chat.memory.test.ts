import { describe } from 'vitest';
import { MemoryBroker, MemoryBus } from './broker/memory-broker.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { chatBehaviour } from './behaviour/suite.ts';

describe('chat on the embedded (memory) engine', () => {
  chatBehaviour(async () => {
    const bus = new MemoryBus();
    const log = new MemoryMessageLog();
    return {
      name: 'memory',
      node: async () => ({ broker: new MemoryBroker(bus), log }),
      close: async () => {},
    };
  });
});
