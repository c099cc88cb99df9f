import { io, type Socket } from 'socket.io-client';

type Ack = { ok: true; data?: unknown } | { ok: false; code: string; error: string };

/** What every bot saw, keyed by call: who was offered it, who talked on it, who saved its outcome. */
export class BotLedger {
  readonly offers = new Map<string, string[]>();
  readonly connected = new Map<string, string[]>();
  /** Outcomes the server acknowledged (ok), by call. */
  readonly dispositions = new Map<string, string[]>();
  /** Commands the server refused, with their codes (a refusal is not a failure of the test by itself). */
  readonly refusals: { agent: string; event: string; code: string; error: string }[] = [];
  /** When each offer reached its bot (ms since the epoch, this process's clock). */
  readonly offeredAt = new Map<string, number>();

  private add(map: Map<string, string[]>, callId: string, agent: string): void {
    const list = map.get(callId) ?? [];
    list.push(agent);
    map.set(callId, list);
  }

  offer(callId: string, agent: string): void {
    this.add(this.offers, callId, agent);
    if (!this.offeredAt.has(callId)) this.offeredAt.set(callId, Date.now());
  }

  connect(callId: string, agent: string): void {
    this.add(this.connected, callId, agent);
  }

  disposed(callId: string, agent: string): void {
    this.add(this.dispositions, callId, agent);
  }
}

/**
 * A bot agent at a desk: a socket.io client on /agent, as the browser's, that takes every call it is
 * offered, talks for `talkMs`, hangs up and saves an outcome, then is ready again. It can be moved
 * to another server (its instance died; a load balancer sends it elsewhere) and carries on with
 * whatever state the server says it is in.
 */
export class BotDesk {
  private socket: Socket | undefined;
  private readonly disposing = new Set<string>();
  private readonly hangingUp = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The server this bot is connected to now. */
  url = '';
  /** Set when the connection dropped without the bot asking (its server went away). */
  onDrop: (() => void) | undefined;

  constructor(
    readonly username: string,
    private readonly token: string,
    private readonly ledger: BotLedger,
    private readonly o: { talkMs: number; code: string },
  ) {}

  async connect(url: string): Promise<void> {
    this.url = url;
    const socket = io(`${url}/agent`, { auth: { token: this.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket = socket;
    socket.on('call:offer', (pop: { callId: string }) => {
      this.ledger.offer(pop.callId, this.username);
      this.command('call:accept', { callId: pop.callId });
    });
    socket.on('call:connected', ({ callId }: { callId: string }) => {
      this.ledger.connect(callId, this.username);
      this.hangUpLater(callId);
    });
    socket.on('agent:state', (s: { state: string; callId: string }) => {
      // after a reconnect the server says where the agent is: a call still in progress is finished
      if (s.state === 'talking' && s.callId) this.hangUpLater(s.callId);
      if (s.state === 'wrap_up' && s.callId) this.dispose(s.callId);
      if (s.state === 'not_ready' || s.state === 'logged_out') this.command('agent:ready', {});
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.onDrop?.();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
  }

  async ready(): Promise<Ack> {
    return this.send('agent:ready', {});
  }

  /** Leaves this server and connects to another (what the browser does behind a load balancer). */
  async move(url: string): Promise<void> {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    await this.connect(url);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
  }

  private hangUpLater(callId: string): void {
    if (this.hangingUp.has(callId)) return;
    this.hangingUp.add(callId);
    this.later(this.o.talkMs, () => {
      this.send('call:hangup', { callId })
        .then((ack) => {
          if (!ack.ok) this.ledger.refusals.push({ agent: this.username, event: 'call:hangup', code: ack.code, error: ack.error });
        })
        .catch(() => this.hangingUp.delete(callId)); // not sent (the server went away): tried again when the state comes back
    });
  }

  private dispose(callId: string): void {
    if (this.disposing.has(callId)) return;
    this.disposing.add(callId);
    this.send('call:disposition', { callId, code: this.o.code })
      .then((ack) => {
        if (ack.ok) this.ledger.disposed(callId, this.username);
        else {
          this.disposing.delete(callId);
          this.ledger.refusals.push({ agent: this.username, event: 'call:disposition', code: ack.code, error: ack.error });
        }
      })
      .catch(() => this.disposing.delete(callId));
  }

  private command(event: string, payload: unknown): void {
    this.send(event, payload)
      .then((ack) => {
        if (!ack.ok) this.ledger.refusals.push({ agent: this.username, event, code: ack.code, error: ack.error });
      })
      .catch(() => undefined); // the server went away mid-command: what happened is read from the server afterwards
  }

  private send(event: string, payload: unknown): Promise<Ack> {
    if (!this.socket?.connected) return Promise.reject(new Error('not connected'));
    return this.socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack>;
  }

  private later(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, ms);
    this.timers.add(t);
  }
}
