import { ObjectId } from 'mongodb';
import type { FastifyBaseLogger } from 'fastify';
import type { BusEvent, Message, Principal } from '@chatorbit/shared';
import type { Broker } from './broker/broker.ts';
import type { MessageLog } from './history/message-log.ts';
import { Hub, type Subscriber } from './hub/hub.ts';
import type { ChatMetrics } from './metrics.ts';

export interface ChatNodeOptions {
  id: string;
  broker: Broker;
  log: MessageLog;
  metrics: ChatMetrics;
  joinHistoryLimit: number;
  logger: FastifyBaseLogger;
}

export interface JoinResult {
  seq: number;
  history: Message[];
}

/**
 * One chat node: local members (hub), fan-out (broker) and the durable log, wired together.
 * Knows nothing of WebSockets; a connection calls join/leave/send and receives frames through
 * its Subscriber.
 */
export class ChatNode {
  readonly id: string;
  readonly hub = new Hub();
  private readonly broker: Broker;
  private readonly log: MessageLog;
  private readonly metrics: ChatMetrics;
  private readonly joinHistoryLimit: number;
  /** Rooms this node is subscribed to (or subscribing): one broker subscription per room. */
  private readonly subscriptions = new Map<string, Promise<void>>();

  constructor(opts: ChatNodeOptions) {
    this.id = opts.id;
    this.broker = opts.broker;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.joinHistoryLimit = opts.joinHistoryLimit;
    this.broker.onEvent(
      (room, event) => this.deliver(room, event),
      (room) => {
        opts.metrics.invalidBusEvents.inc();
        opts.logger.warn({ room }, 'dropped a bus payload that is not a known event version');
      },
    );
  }

  /**
   * Adds the subscriber to the room and returns the room's state. The subscriber is a member
   * (receiving live frames) before history is read, so a message is in the history, or arrives
   * live, or both (the connection drops live frames at or below the history's last seq).
   */
  async join(room: string, subscriber: Subscriber): Promise<JoinResult> {
    if (this.hub.add(room, subscriber)) this.subscriptions.set(room, this.broker.subscribe(room));
    try {
      await this.subscriptions.get(room);
      const [seq, newestFirst] = await Promise.all([
        this.broker.lastSeq(room),
        this.joinHistoryLimit > 0 ? this.log.page(room, { limit: this.joinHistoryLimit }) : Promise.resolve([]),
      ]);
      return { seq, history: newestFirst.reverse() };
    } catch (err) {
      await this.leave(room, subscriber);
      throw err;
    }
  }

  async leave(room: string, subscriber: Subscriber): Promise<void> {
    if (!this.hub.remove(room, subscriber)) return;
    const subscribing = this.subscriptions.get(room);
    this.subscriptions.delete(room);
    await subscribing?.catch(() => {});
    // A member may have joined while the subscription settled: it holds a new subscription.
    if (!this.subscriptions.has(room)) await this.broker.unsubscribe(room);
  }

  /**
   * Stores the message, then fans it out: a message any client has seen is in the log. A failure
   * before the log write stores and delivers nothing (the seq is skipped, never reused).
   */
  async send(room: string, user: Principal, text: string): Promise<Message> {
    const message: Message = {
      id: new ObjectId().toHexString(),
      room,
      seq: await this.broker.nextSeq(room),
      user: { id: user.userId, name: user.name },
      text,
      ts: Date.now(),
    };
    await this.log.append(message);
    await this.broker.publish(room, { v: 1, type: 'message', node: this.id, message });
    this.metrics.messagesSent.inc();
    return message;
  }

  history(room: string, before: number | undefined, limit: number): Promise<Message[]> {
    return this.log.page(room, before === undefined ? { limit } : { before, limit });
  }

  private deliver(room: string, event: BusEvent) {
    const { message } = event;
    if (message.room !== room) return;
    // Encoded once per message on this node; every member gets the same string.
    const frame = JSON.stringify({ type: 'message', ...message });
    const delivered = this.hub.broadcast(room, message.seq, frame);
    this.metrics.deliveries.inc(delivered);
  }

  async ping() {
    await Promise.all([this.broker.ping(), this.log.ping()]);
  }
}
