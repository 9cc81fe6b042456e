import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { BlockedTerms, Message, RoomSettings } from './frames.ts';

/**
 * Events between chat nodes over the broker. Versioned and validated on receipt: a node running a
 * newer version may publish events an older one must skip (counted and logged), never crash on.
 */
export const BusMessage = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('message'),
  node: Type.String({ description: 'Id of the publishing node.' }),
  /** W3C trace context of the send, when it was sampled: deliveries on every node join its trace. */
  traceparent: Type.Optional(Type.String({ maxLength: 128 })),
  message: Message,
});
/** A ban took effect: nodes remove the user's sockets from the room (room null: from every room). */
export const BusBan = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('ban'),
  node: Type.String(),
  room: Type.Union([Type.String(), Type.Null()]),
  userId: Type.String(),
  until: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.String(),
});
/** A room's settings changed: nodes tell the room's local members. */
export const BusSettings = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('settings'),
  node: Type.String(),
  room: Type.String(),
  settings: RoomSettings,
});
/** The global blocked terms changed (control channel). */
export const BusGlobalSettings = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('global_settings'),
  node: Type.String(),
  settings: BlockedTerms,
});
/** Messages were hidden: one (`id`), a banned user's recent ones (`userId`), or, for a clear, every one up to `upTo`. */
export const BusHidden = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('hidden'),
  node: Type.String(),
  room: Type.String(),
  id: Type.Optional(Type.String()),
  userId: Type.Optional(Type.String()),
  upTo: Type.Optional(Type.Integer()),
});
/**
 * An admin deactivated (or reactivated) an account (control channel, published by the user
 * service): nodes close the account's sockets with 4403 and refuse it from then on.
 */
export const BusAccount = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal('account'),
  node: Type.String({ description: 'Id of the publisher (a user service instance).' }),
  userId: Type.String(),
  deactivated: Type.Boolean(),
});
export const BusEvent = Type.Union([BusMessage, BusBan, BusSettings, BusGlobalSettings, BusHidden, BusAccount]);
export type BusAccount = Static<typeof BusAccount>;
export type BusHidden = Static<typeof BusHidden>;
export type BusSettings = Static<typeof BusSettings>;
export type BusGlobalSettings = Static<typeof BusGlobalSettings>;
export type BusBan = Static<typeof BusBan>;
export type BusEvent = Static<typeof BusEvent>;

const busEventCheck = Compile(BusEvent);

/** Decodes a bus payload; undefined when it is not a valid v1 event. */
export function decodeBusEvent(payload: string): BusEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  return busEventCheck.Check(value) ? (value as BusEvent) : undefined;
}
