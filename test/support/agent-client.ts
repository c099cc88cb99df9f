import { io, type Socket } from 'socket.io-client';

type Ack = { ok: true; data?: unknown } | { ok: false; code: string; error: string };

/** An agent desktop as the browser runs it: a socket.io client on /agent that records what it is told. */
export class AgentClient {
  readonly received: { event: string; payload: unknown }[] = [];
  private waiters: { event: string; match: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload });
      for (const w of [...this.waiters]) {
        if (w.event === event && w.match(payload)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(payload);
        }
      }
    });
  }

  /** A desktop on the agent namespace, or (namespace 'board') a supervisor's live board. */
  static async connect(baseUrl: string, token: string, namespace: 'agent' | 'board' = 'agent'): Promise<AgentClient> {
    const socket = io(`${baseUrl}/${namespace}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    const client = new AgentClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return client;
  }

  /** The next event of this name (matching `match`) — including one already received and not yet taken. */
  next<T = Record<string, unknown>>(event: string, match: (p: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const idx = this.received.findIndex((r) => r.event === event && match(r.payload as T));
    if (idx >= 0) {
      const [hit] = this.received.splice(idx, 1);
      return Promise.resolve(hit?.payload as T);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not receive ${event} within ${timeoutMs} ms; got: ${this.received.map((r) => r.event).join(', ')}`)), timeoutMs);
      this.waiters.push({
        event,
        match: (p) => match(p as T),
        resolve: (p) => {
          clearTimeout(timer);
          this.received.splice(this.received.findIndex((r) => r.payload === p), 1);
          resolve(p as T);
        },
      });
    });
  }

  /** Waits until the agent's desktop shows this state. */
  state(state: string, timeoutMs = 5000): Promise<{ state: string; reason: string; callId: string }> {
    return this.next<{ state: string; reason: string; callId: string }>('agent:state', (p) => p.state === state, timeoutMs);
  }

  send(event: string, payload?: unknown): Promise<Ack> {
    return this.socket.timeout(5000).emitWithAck(event, payload ?? {}) as Promise<Ack>;
  }

  close(): void {
    this.socket.disconnect();
  }
}
