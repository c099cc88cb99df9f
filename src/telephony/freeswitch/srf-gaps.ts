import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type Srf from 'drachtio-srf';
import WireProtocol from 'drachtio-srf/lib/wire-protocol';

/**
 * Where drachtio-srf's own typings (lib/@types, declared with `export =`, so they cannot be augmented)
 * lag its code: options read by lib/srf.js and lib/wire-protocol.js. The adapter sees Srf through
 * this view.
 */
export interface SrfConnectOptions extends Srf.SrfConfig {
  /** Keep the admin connection alive with pings (wire-protocol.js). */
  enablePing?: boolean;
  pingInterval?: number;
  /** Reconnect backoff: delays grow x1.7 up to retryMaxDelay ms. */
  reconnect?: { retryMaxDelay?: number; maxAttempts?: number };
}

export interface UacOptions extends Srf.CreateUACOptions {
  /** Builds the From header (drachtio fills in its own host). */
  callingNumber?: string;
  callingName?: string;
}

export interface UacProgress {
  /** cbRequest is called node-style: (err) when the INVITE could not be sent, (null, req) once it is. */
  cbRequest?: (err: Error | null, req?: Srf.SrfRequest) => void;
  cbProvisional?: (res: Srf.SrfResponse) => void;
}

/**
 * A late-offer INVITE (no SDP, noAck) answered with an offer: the caller sends the answer in the ACK
 * (ack), or gives up on the call (destroy: ACK then BYE).
 */
export interface LateOffer {
  sdp: string;
  ack(localSdp: string): Promise<Srf.Dialog>;
  destroy(): Promise<void>;
}

export interface SrfWithGaps {
  /**
   * Handles REGISTER. Unlike use('register', …), this also tells drachtio-server that the app takes
   * REGISTERs (srf.js creates one such method per SIP verb); without it drachtio answers 503.
   */
  register(handler: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  /** Starts connecting (and reconnecting); the typings say it returns a promise, the code returns the app: listen for 'connect'. */
  connect(opts: SrfConnectOptions): void;
  /** Without localSdp and with noAck, a 200 OK carrying an offer resolves as a LateOffer (a 200 OK without SDP is ACKed: a Dialog). */
  createUAC(uri: string, opts: UacOptions & { noAck: true }, progress?: UacProgress): Promise<LateOffer | Srf.Dialog>;
  createUAC(uri: string, opts: UacOptions, progress?: UacProgress): Promise<Srf.Dialog>;
}

export function withGaps(srf: Srf): SrfWithGaps {
  return srf as unknown as SrfWithGaps;
}

/**
 * Sends BYE on a dialog, never throwing: called without a callback, Dialog#destroy returns a promise
 * (the typings say void) that rejects when drachtio no longer knows the dialog, because the far end
 * hung up at the same moment.
 */
export function byeQuietly(dialog: Srf.Dialog, onError?: (err: Error) => void): void {
  try {
    dialog.destroy(undefined, (err: unknown) => {
      if (err && onError) onError(err as Error);
    });
  } catch (err) {
    onError?.(err as Error);
  }
}

/**
 * After drachtio-srf reconnects, a dialog made over the old connection still names the dead socket it
 * arrived on (Dialog#socket is its request's socket) and srf would write to it. Forgotten, requests on
 * the dialog go over srf's live connection (drachtio-server still knows the dialog by its id).
 */
export function rehomeDialog(dialog: Srf.Dialog): void {
  const req = (dialog as unknown as { req?: { socket?: unknown } }).req;
  if (req) req.socket = undefined;
}

/** Dialog#request as lib/dialog.js reads it (the typings ask for a whole SrfRequest). */
interface DialogRequest {
  request(opts: { method: Srf.SipMethod; headers?: Record<string, string>; body?: string }): Promise<Srf.SrfResponse>;
}

/** Sends an in-dialog OPTIONS; resolves with the far end's status, or the error drachtio gave. */
export async function optionsInDialog(dialog: Srf.Dialog): Promise<{ status: number } | { error: string }> {
  try {
    const res = await (dialog as unknown as DialogRequest).request({ method: 'OPTIONS' });
    return { status: res.status };
  } catch (err) {
    return { error: (err as Error).message ?? String(err) };
  }
}

let guarded = false;

/**
 * drachtio-srf's wire protocol throws from its socket's 'data' handler when the peer at DRACHTIO_HOST
 * speaks something else (a wrong port, another service): an uncaught exception that would take the
 * whole process down. Guarded, such a connection is dropped — after a delay growing with each
 * failure in a row (0.5 s doubling to 30 s), since srf's own backoff starts over at every TCP
 * connect — and srf reconnects; `onGarbage` hears of the first failure of each series and every
 * tenth. Installed once, before the first connection.
 */
export function guardWireProtocol(onGarbage: (err: Error, inARow: number) => void): void {
  if (guarded) return;
  guarded = true;
  let inARow = 0;
  let lastAt = 0;
  const original = WireProtocol.prototype._onData;
  WireProtocol.prototype._onData = function guardedOnData(this: WireProtocol, socket: Socket, msg: Buffer): void {
    if (socket.isPaused()) return; // already condemned
    try {
      original.call(this, socket, msg);
    } catch (err) {
      const now = Date.now();
      inARow = now - lastAt > 60_000 ? 1 : inARow + 1;
      lastAt = now;
      if (inARow === 1 || inARow % 10 === 0) onGarbage(err as Error, inARow);
      this.mapIncomingMsg.delete(socket);
      socket.pause();
      setTimeout(() => socket.destroy(), Math.min(30_000, 500 * 2 ** Math.min(inARow - 1, 6))).unref();
    }
  };
}

/** srf's transport to drachtio-server (after connect()): emits 'connect' (TCP up, not yet authenticated) with the socket. */
export function drachtioTransport(srf: Srf): EventEmitter | undefined {
  return (srf as unknown as { _app?: { client?: { wp?: EventEmitter } } })._app?.client?.wp;
}

/**
 * Sends BYE within a dialog known to drachtio-server only by its id (a dialog of an instance that
 * died: this process has no Dialog object for it). Resolves with the far end's status, or the error.
 */
export function byeByDialogId(srf: Srf, stackDialogId: string): Promise<{ status: number } | { error: string }> {
  const agent = (srf as unknown as { _app?: { client?: { request(opts: object, cb: (err: Error | null, req?: { on(ev: 'response', fn: (res: { status: number }) => void): void }) => void): void } } })._app?.client;
  if (!agent) return Promise.resolve({ error: 'not connected to drachtio-server' });
  return new Promise((resolve) => {
    try {
      agent.request({ method: 'BYE', headers: {}, stackDialogId }, (err, req) => {
        if (err || !req) return resolve({ error: err?.message ?? 'BYE not sent' });
        req.on('response', (res) => resolve({ status: res.status }));
      });
    } catch (err) {
      resolve({ error: (err as Error).message });
    }
  });
}

/** drachtio-server's id of a dialog (Dialog#id, missing from srf's typings). */
export function dialogId(dialog: Srf.Dialog): string {
  return (dialog as unknown as { id: string }).id;
}
