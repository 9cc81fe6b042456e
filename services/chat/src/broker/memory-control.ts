/** The embedded bus's control channel: a symbol, so no room name can collide with it. */
export const CONTROL = Symbol('control');
