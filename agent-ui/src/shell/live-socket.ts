import { io, type Socket } from 'socket.io-client';
import type { CommandAck, ErrorCode } from '@shared/errors';
import { isErrorCode } from '../i18n';

/**
 * The live connection of a page (desk: namespace /agent; the supervisors' board will use /board):
 * socket.io with the login token, automatic reconnection, commands acknowledged by the server.
 * Commands are sent only while connected — never queued for a reconnect, so nothing is sent twice.
 */

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected'; reconnected: boolean }
  | { kind: 'reconnecting'; attempt: number }
  /** The server refused the login (session expired, account disabled…) or ended the session: back to the login page. */
  | { kind: 'refused'; code: ErrorCode; message: string };

/** Codes a refused connection carries that no retry can fix. */
const FATAL: ReadonlySet<string> = new Set(['session_expired', 'account_disabled', 'not_a_call_taker', 'unauthorized', 'forbidden']);

/** What a `connect_error` means: a refusal to show (and stop retrying), or undefined (retry). */
export function refusalOf(err: unknown): { code: ErrorCode; message: string } | undefined {
  const e = err as { message?: unknown; data?: { code?: unknown } };
  const code = typeof e?.data?.code === 'string' ? e.data.code : undefined;
  if (!code || !isErrorCode(code) || !FATAL.has(code)) return undefined;
  return { code, message: typeof e.message === 'string' ? e.message : code };
}

type Handler = (payload: never) => void;

export class LiveSocket<Events extends { [E in keyof Events]: (payload: never) => void }> {
  private readonly socket: Socket;
  private state: ConnectionState = { kind: 'connecting' };
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private everConnected = false;
  /** Events that came before the page listened for them (its chunk was still loading): handed over when it does. */
  private readonly undelivered: { event: string; payload: unknown }[] = [];
  private readonly listening = new Map<string, number>();

  /** `token` is asked at every (re)connection: a renewed session reconnects with its new token. */
  constructor(namespace: string, token: string | (() => string), opts: { url?: string; ackTimeoutMs?: number } = {}) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
    const auth = (cb: (data: { token: string }) => void): void => cb({ token: typeof token === 'function' ? token() : token });
    this.socket = io(`${opts.url ?? ''}${namespace}`, { auth, transports: ['websocket'], reconnectionDelay: 500, reconnectionDelayMax: 5000 });
    this.socket.onAny((event: string, payload: unknown) => {
      if ((this.listening.get(event) ?? 0) > 0) return;
      this.undelivered.push({ event, payload });
      if (this.undelivered.length > 100) this.undelivered.shift();
    });
    this.socket.on('connect', () => {
      this.setState({ kind: 'connected', reconnected: this.everConnected });
      this.everConnected = true;
    });
    this.socket.on('connect_error', (err) => {
      const refused = refusalOf(err);
      if (refused) {
        this.socket.disconnect();
        this.setState({ kind: 'refused', ...refused });
      }
    });
    this.socket.io.on('reconnect_attempt', (attempt) => {
      if (this.state.kind !== 'refused') this.setState({ kind: 'reconnecting', attempt });
    });
    this.socket.on('disconnect', (reason) => {
      if (this.state.kind === 'refused') return;
      // the server ended the session (it said why in session:ended first) or the page closed it
      if (reason === 'io server disconnect' || reason === 'io client disconnect') return;
      this.setState({ kind: 'reconnecting', attempt: 0 });
    });
  }

  private readonly ackTimeoutMs: number;

  get connection(): ConnectionState {
    return this.state;
  }

  /** Ends the session from the server's side: shown as a refusal with its code. */
  ended(code: ErrorCode, message: string): void {
    this.setState({ kind: 'refused', code, message });
    this.socket.disconnect();
  }

  onState(fn: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  on<E extends keyof Events & string>(event: E, fn: Events[E]): () => void {
    const s = this.socket as unknown as { on(e: string, f: Handler): void; off(e: string, f: Handler): void };
    s.on(event, fn as Handler);
    this.listening.set(event, (this.listening.get(event) ?? 0) + 1);
    const waiting = this.undelivered.filter((u) => u.event === event);
    if (waiting.length > 0) {
      for (const u of waiting) this.undelivered.splice(this.undelivered.indexOf(u), 1);
      for (const u of waiting) (fn as unknown as (p: unknown) => void)(u.payload);
    }
    return () => {
      s.off(event, fn as Handler);
      this.listening.set(event, (this.listening.get(event) ?? 1) - 1);
    };
  }

  /** Sends a command and resolves with the server's acknowledgement (or a local one: offline, timeout). */
  async command<T = unknown>(event: string, payload?: unknown): Promise<CommandAck<T>> {
    if (!this.socket.connected) return { ok: false, code: 'unavailable', error: 'not connected' };
    try {
      return (await this.socket.timeout(this.ackTimeoutMs).emitWithAck(event, payload ?? {})) as CommandAck<T>;
    } catch {
      return { ok: false, code: 'unavailable', error: 'no answer from the server' };
    }
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.io.removeAllListeners();
    this.socket.disconnect();
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }
}
