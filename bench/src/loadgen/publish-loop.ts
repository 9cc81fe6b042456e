import type { Publisher } from './clients/client.ts';
import type { PublishSchedule } from './protocol.ts';
import type { Stats } from './stats.ts';
import { makeText } from './text.ts';

/** How far the loop may fall behind its schedule before it skips messages (counted as behind). */
const MAX_LAG_MS = 500;
const TICK_MS = 2;

/**
 * Sends by the clock, not by the acks (open loop): a slow server shows up as latency, not as a
 * lower offered rate. Message k goes to room k mod R; a room's messages rotate over its
 * publishers. Each (publisher, room) numbers its messages 1, 2, 3… across schedules.
 */
export class PublishLoop {
  private readonly rooms: string[];
  private readonly byRoom = new Map<string, Publisher[]>();
  private readonly counters = new Map<string, number>();
  private readonly stats: Stats;
  private readonly textBytes: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(publishers: Publisher[], stats: Stats, textBytes: number) {
    for (const p of publishers) {
      for (const room of p.rooms) {
        let list = this.byRoom.get(room);
        if (!list) this.byRoom.set(room, (list = []));
        list.push(p);
      }
    }
    this.rooms = [...this.byRoom.keys()];
    this.stats = stats;
    this.textBytes = textBytes;
  }

  start(schedule: PublishSchedule) {
    this.stop();
    this.stats.setWindow(schedule.window.from, schedule.window.to);
    if (this.rooms.length === 0 || schedule.totalRate <= 0) return;
    const perMs = schedule.totalRate / 1000;
    const total = Math.floor((schedule.endAt - schedule.startAt) * perMs);
    let k = 0;
    const tick = () => {
      const now = Date.now();
      const due = Math.min(total, Math.floor((now - schedule.startAt) * perMs));
      const skipTo = Math.floor((now - MAX_LAG_MS - schedule.startAt) * perMs);
      if (skipTo > k) {
        this.stats.behind += skipTo - k;
        k = skipTo;
      }
      for (; k < due; k++) this.sendOne(k);
      if (k >= total) {
        this.timer = undefined;
        return;
      }
      this.timer = setTimeout(tick, now < schedule.startAt ? schedule.startAt - now : TICK_MS);
    };
    this.timer = setTimeout(tick, Math.max(0, schedule.startAt - Date.now()));
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get active(): boolean {
    return this.timer !== undefined;
  }

  private sendOne(k: number) {
    const room = this.rooms[k % this.rooms.length]!;
    const publishers = this.byRoom.get(room)!;
    const publisher = publishers[Math.floor(k / this.rooms.length) % publishers.length]!;
    const key = `${publisher.id}|${room}`;
    const n = (this.counters.get(key) ?? 0) + 1;
    const text = makeText(`${publisher.id}.${room}`, n, this.textBytes);
    if (publisher.send(room, text, `${publisher.id}-${room}-${n}`)) {
      this.counters.set(key, n);
      this.stats.sent++;
    } else {
      this.stats.behind++;
    }
  }
}
