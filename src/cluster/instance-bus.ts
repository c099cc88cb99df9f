import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from '../log';
import { UserError } from '../util/user-error';
import type { ErrorCode } from '../shared/errors';

/** What one instance asks another: a named request with a JSON payload. */
interface Request {
  kind: 'request';
  id: string;
  from: string;
  method: string;
  payload: unknown;
}

interface Reply {
  kind: 'reply';
  id: string;
  ok: boolean;
  value?: unknown;
  /** A UserError on the owner travels back as one (its code and message). */
  error?: { code?: ErrorCode; message: string };
}

/** News for every instance (no answer expected). */
interface Broadcast {
  kind: 'broadcast';
  from: string;
  topic: string;
  payload: unknown;
}

type Handler = (payload: unknown) => Promise<unknown>;

export class InstanceUnreachable extends Error {}

/**
 * Requests between app instances over Redis pub/sub: each instance listens on its own channel and
 * answers the requests addressed to it (the owner of a call carries out the desk commands about it,
 * wherever the desk is connected). A request not answered in time fails with InstanceUnreachable; a
 * refusal on the other side arrives as the same UserError.
 */
export class InstanceBus {
  private readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, (payload: unknown, from: string) => void>();
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private started = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly ns: string,
    readonly self: string,
    private readonly log: Logger,
  ) {}

  private channel(instance: string): string {
    return `${this.ns}:inst:${instance}`;
  }

  /** Answers `method` requests addressed to this instance. */
  handle<P, R>(method: string, handler: (payload: P) => Promise<R>): void {
    this.handlers.set(method, handler as Handler);
  }

  /** Receives what other instances broadcast on `topic`. */
  on<P>(topic: string, listener: (payload: P, from: string) => void): void {
    this.listeners.set(topic, listener as (payload: unknown, from: string) => void);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const mine = this.channel(this.self);
    const everyone = this.channel('*all*');
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== mine && channel !== everyone) return;
      let msg: Request | Reply | Broadcast;
      try {
        msg = JSON.parse(raw) as Request | Reply | Broadcast;
      } catch {
        return;
      }
      if (msg.kind === 'reply') this.settle(msg);
      else if (msg.kind === 'request') this.answer(msg);
      else if (msg.from !== this.self) this.listeners.get(msg.topic)?.(msg.payload, msg.from);
    });
    await this.subscriber.subscribe(mine, everyone);
  }

  /** Tells every other instance (fire and forget; a late joiner reads the state from Redis instead). */
  async broadcast(topic: string, payload: unknown): Promise<void> {
    const msg: Broadcast = { kind: 'broadcast', from: this.self, topic, payload };
    await this.publisher.publish(this.channel('*all*'), JSON.stringify(msg));
  }

  /** Asks `target` to run `method`; resolves with its answer or rejects (UserError, InstanceUnreachable). */
  async request<R>(target: string, method: string, payload: unknown, timeoutMs = 8000): Promise<R> {
    const id = randomUUID();
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new InstanceUnreachable(`instance ${target} did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
    const req: Request = { kind: 'request', id, from: this.self, method, payload };
    const receivers = await this.publisher.publish(this.channel(target), JSON.stringify(req));
    if (receivers === 0) {
      const w = this.waiting.get(id);
      if (w) {
        clearTimeout(w.timer);
        this.waiting.delete(id);
      }
      throw new InstanceUnreachable(`instance ${target} is not listening`);
    }
    return (await answer) as R;
  }

  async stop(): Promise<void> {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new InstanceUnreachable('this instance is stopping'));
    }
    this.waiting.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private answer(req: Request): void {
    const handler = this.handlers.get(req.method);
    const run = handler ? handler(req.payload) : Promise.reject(new Error(`no handler for ${req.method}`));
    run
      .then(
        (value): Reply => ({ kind: 'reply', id: req.id, ok: true, value }),
        (err: unknown): Reply => {
          if (err instanceof UserError) return { kind: 'reply', id: req.id, ok: false, error: { code: err.code, message: err.message } };
          this.log.error({ err, method: req.method, from: req.from }, 'a request from another instance failed');
          return { kind: 'reply', id: req.id, ok: false, error: { message: 'internal error on the instance that owns it' } };
        },
      )
      .then((reply) => this.publisher.publish(this.channel(req.from), JSON.stringify(reply)))
      .catch((err: unknown) => this.log.warn({ err, method: req.method }, 'reply to another instance not sent'));
  }

  private settle(reply: Reply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(reply.id);
    if (reply.ok) w.resolve(reply.value);
    else if (reply.error?.code) w.reject(new UserError(reply.error.code, reply.error.message));
    else w.reject(new Error(reply.error?.message ?? 'failed on the owning instance'));
  }
}
