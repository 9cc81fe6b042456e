import { Compile } from 'typebox/compile';
import { clientFrameSchemas, roomNameRe, type ClientFrame, type ClientFrameType, type WsErrorCode } from '@chatorbit/shared';

export type Decoded =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: WsErrorCode; message: string; nonce?: string; room?: string };

const checks = Object.fromEntries(
  Object.entries(clientFrameSchemas).map(([type, schema]) => [type, Compile(schema)]),
) as { [K in ClientFrameType]: ReturnType<typeof Compile> };

const isFrameType = (type: unknown): type is ClientFrameType => typeof type === 'string' && Object.hasOwn(checks, type);

/** Decodes and validates one client text frame. Never throws. */
export function decodeClientFrame(data: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'invalid_frame', message: 'frame must be a JSON object' };
  }
  const { type, room, nonce } = value as Record<string, unknown>;
  const context = {
    ...(typeof nonce === 'string' ? { nonce } : {}),
    ...(typeof room === 'string' && room.length <= 64 ? { room } : {}),
  };
  if (!isFrameType(type)) {
    return { ok: false, code: 'unknown_type', message: `unknown frame type ${JSON.stringify(type)?.slice(0, 40)}`, ...context };
  }
  if ('room' in clientFrameSchemas[type].properties && (typeof room !== 'string' || !roomNameRe.test(room))) {
    const { room: _omit, ...rest } = context;
    return { ok: false, code: 'invalid_room', message: 'room must match [A-Za-z0-9_-]{1,64}', ...rest };
  }
  const check = checks[type];
  if (!check.Check(value)) {
    const first = check.Errors(value)[0];
    const where = first?.instancePath ? `${first.instancePath.slice(1)} ` : '';
    return { ok: false, code: 'invalid_frame', message: `invalid ${type} frame: ${where}${first?.message ?? 'bad shape'}`, ...context };
  }
  return { ok: true, frame: value as ClientFrame };
}

/** Checks a message text: non-blank after trimming, at most maxLength code points. */
export function checkText(text: string, maxLength: number): string | undefined {
  if (text.trim().length === 0) return 'text must not be empty';
  // Count code points only when UTF-16 length could exceed the limit (the common case skips it).
  if (text.length > maxLength) {
    let points = 0;
    for (const _ of text) if (++points > maxLength) return `text is over ${maxLength} characters`;
  }
  return undefined;
}
