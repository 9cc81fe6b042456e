import type { Broker, RangeQuery } from '../broker/broker.ts';
import type { LoggedMessage, MessageLog } from './message-log.ts';

/**
 * A room's history as one sequence: the newest messages from the broker's recent history
 * (Redis), older ones from the durable log (MongoDB). Seqs are contiguous, so a page is complete
 * when it reaches the range's bound; otherwise the rest comes from the log.
 */
export class RoomHistory {
  private readonly broker: Broker;
  private readonly log: MessageLog;

  constructor(broker: Broker, log: MessageLog) {
    this.broker = broker;
    this.log = log;
  }

  /** Deleted messages included (the caller counts, then hides them). */
  async range(room: string, query: RangeQuery): Promise<LoggedMessage[]> {
    const recent = await this.broker.recent(room, query);
    const floor = (query.after ?? 0) + 1;
    if (query.order === 'desc') {
      const oldest = recent.at(-1);
      if (recent.length >= query.limit || (oldest && oldest.seq <= floor)) return recent;
      const older = await this.log.page(room, { ...query, before: oldest?.seq ?? query.before, limit: query.limit - recent.length });
      return (recent as LoggedMessage[]).concat(older);
    }
    const first = recent[0];
    if (first && first.seq <= floor) return recent;
    const older = await this.log.page(room, { ...query, before: first?.seq ?? query.before });
    return older.concat(recent as LoggedMessage[]).slice(0, query.limit);
  }
}
