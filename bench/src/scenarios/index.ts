import type { ScenarioName } from '../options.ts';
import { bigRoom } from './big-room.ts';
import { hotRoom } from './hot-room.ts';
import { idle } from './idle.ts';
import { manyRooms } from './many-rooms.ts';
import type { Scenario } from './scenario.ts';

export const scenarios: Record<ScenarioName, Scenario> = {
  'big-room': bigRoom,
  'hot-room': hotRoom,
  'many-rooms': manyRooms,
  idle,
};
