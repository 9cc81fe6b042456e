import { Type, type Static } from 'typebox';
import { commonConfig, storageConfig, verifierConfig } from '@chatorbit/shared';

export const chatConfigSchema = Type.Object({
  ...commonConfig(8083),
  ...storageConfig,
  ...verifierConfig,
  NODE_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      description: 'This chat node\'s id on the bus (default: hostname and pid, unique per process).',
    }),
  ),
  MAX_FRAME_BYTES: Type.Integer({
    default: 64 * 1024,
    minimum: 1024,
    maximum: 16 * 1024 * 1024,
    description:
      'Largest client frame accepted; a larger one gets error frame_too_large. Frames over four times this close the socket with 1009.',
  }),
  MAX_TEXT_LENGTH: Type.Integer({
    default: 500,
    minimum: 1,
    maximum: 10_000,
    description: 'Longest message text, in Unicode code points.',
  }),
  JOIN_HISTORY_LIMIT: Type.Integer({
    default: 50,
    minimum: 0,
    maximum: 100,
    description: 'How many recent messages a `joined` frame carries.',
  }),
  PING_INTERVAL_MS: Type.Integer({
    default: 25_000,
    minimum: 1_000,
    description: 'WebSocket ping period; a socket that has not answered the previous ping is dropped.',
  }),
});
export type ChatConfig = Static<typeof chatConfigSchema>;
