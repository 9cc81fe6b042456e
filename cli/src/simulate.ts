// Replays a room's log against a proposed rate limit, with the send script's own algorithm.
import { gcra } from '../../services/chat/src/moderation/gcra.ts';

export interface Limit {
  messages: number;
  perSec: number;
}

export interface LoggedMessage {
  seq: number;
  ts: number;
  user: { id: string; name: string };
}

export interface SimulatedUser {
  userId: string;
  name: string;
  messages: number;
  /** Messages the limit would have refused. */
  limited: number;
  firstLimitedSeq: number | null;
  exempt: boolean;
}

export interface Simulation {
  messages: number;
  limitedMessages: number;
  users: SimulatedUser[];
  limitedUsers: number;
  fromSeq: number | null;
  toSeq: number | null;
  fromTs: number | null;
  toTs: number | null;
}

/**
 * Each message in seq order, per user, through the GCRA the send script runs (gcra.ts, the same
 * function the chat service tests it with), at the message's own time. A refused message leaves
 * the user's state unchanged, as in the script: it assumes the user would not have retried.
 * Exempt users are counted, never limited; `messages: 0` means no limit.
 */
export function simulate(log: readonly LoggedMessage[], limit: Limit, exempt: ReadonlySet<string> = new Set()): Simulation {
  const ordered = [...log].sort((a, b) => a.seq - b.seq);
  const tats = new Map<string, number>();
  const users = new Map<string, SimulatedUser>();
  let limitedMessages = 0;
  for (const message of ordered) {
    const id = message.user.id;
    let user = users.get(id);
    if (!user) {
      user = { userId: id, name: message.user.name, messages: 0, limited: 0, firstLimitedSeq: null, exempt: exempt.has(id) };
      users.set(id, user);
    }
    user.messages++;
    if (user.exempt || limit.messages <= 0) continue;
    const verdict = gcra(tats.get(id), message.ts, { messages: limit.messages, perSec: limit.perSec, exempt: [] });
    if (verdict.allowed) {
      tats.set(id, verdict.tat);
    } else {
      user.limited++;
      user.firstLimitedSeq ??= message.seq;
      limitedMessages++;
    }
  }
  const list = [...users.values()].sort((a, b) => b.limited - a.limited || b.messages - a.messages || a.name.localeCompare(b.name));
  return {
    messages: ordered.length,
    limitedMessages,
    users: list,
    limitedUsers: list.filter((u) => u.limited > 0).length,
    fromSeq: ordered[0]?.seq ?? null,
    toSeq: ordered.at(-1)?.seq ?? null,
    fromTs: ordered[0]?.ts ?? null,
    toTs: ordered.at(-1)?.ts ?? null,
  };
}
