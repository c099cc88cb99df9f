import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type Mrf from 'drachtio-fsmrf';
import Endpoint from 'drachtio-fsmrf/lib/endpoint';
import type { Clock } from '../../clock/clock';
import { byeQuietly, withGaps } from './srf-gaps';

/**
 * A FreeSWITCH channel for an offer, set up the way drachtio-fsmrf's createEndpoint does (an INVITE
 * to its drachtio_mrf profile naming the uuid its outbound event socket will announce), but with what
 * fsmrf lacks: one deadline for the whole setup (the INVITE's answer and the event socket; fsmrf
 * waits for ever for the first and a fixed 4 s for the second), an abort (the caller's CANCEL) at
 * every step, and FreeSWITCH's own refusal kept (its status and Warning/Reason). Whatever part of the
 * channel exists when it fails is released: the INVITE cancelled, the dialog ended, the socket's
 * channel hung up.
 */

export interface ChannelRequest {
  /** The far end's offer. */
  offerSdp: string;
  headers?: Record<string, string>;
  /** The whole setup must be done within this. */
  timeoutMs: number;
  /** Aborted: the far end gave up (CANCEL); everything made so far is released. */
  signal?: AbortSignal;
  /** Names the timer (the leg id). */
  owner: string;
}

/** Why a channel was not made: FreeSWITCH refused (its status), the deadline passed, the far end cancelled. */
export class ChannelSetupError extends Error {
  constructor(
    readonly kind: 'refused' | 'timeout' | 'cancelled' | 'failed',
    message: string,
    /** FreeSWITCH's final status when it refused. */
    readonly status?: number,
    /** FreeSWITCH's explanation (its Warning, else its Reason header). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ChannelSetupError';
  }
}

interface SipErrorLike {
  status?: number;
  res?: { get?(name: string): string | undefined };
}

/** FreeSWITCH's explanation of a refusal: its Warning header, else the Q.850 text of its Reason. */
export function refusalDetail(err: unknown): string | undefined {
  const res = (err as SipErrorLike).res;
  const warning = res?.get?.('Warning');
  if (warning) return warning;
  const reason = res?.get?.('Reason');
  const text = reason ? /text="([^"]+)"/.exec(reason)?.[1] : undefined;
  return text ?? reason ?? undefined;
}

export async function openChannel(srf: Srf, ms: Mrf.MediaServer, clock: Clock, req: ChannelRequest): Promise<Mrf.Endpoint> {
  const uuid = randomUUID();
  const pending: Mrf.PendingConnection = {};
  let failure: ChannelSetupError | undefined;
  let uacReq: Srf.SrfRequest | undefined;
  let fsDialog: Srf.Dialog | undefined;
  let endpoint: Mrf.Endpoint | undefined;
  let rejectReady: ((err: ChannelSetupError) => void) | undefined;

  /** Releases whatever exists of the channel, once. */
  const fail = (err: ChannelSetupError): void => {
    if (failure) return;
    failure = err;
    ms.pendingConnections.delete(uuid);
    if (endpoint) void endpoint.destroy().catch(() => undefined);
    else if (fsDialog) byeQuietly(fsDialog);
    else uacReq?.cancel(() => undefined);
    if (pending.conn !== undefined && !endpoint) hangupSocket(pending.conn);
    rejectReady?.(err);
  };
  const timer = clock.setTimer(`fs:${req.owner}:media-connect`, req.timeoutMs, () => fail(new ChannelSetupError('timeout', `FreeSWITCH did not set the channel up within ${req.timeoutMs} ms`)));
  const onAbort = (): void => fail(new ChannelSetupError('cancelled', 'the far end cancelled during media setup'));
  if (req.signal?.aborted) onAbort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const done = (): void => {
    clock.clearTimer(timer);
    req.signal?.removeEventListener('abort', onAbort);
  };

  try {
    if (failure) throw failure;
    ms.pendingConnections.set(uuid, pending);
    try {
      fsDialog = await withGaps(srf).createUAC(
        `sip:drachtio@${ms.sip.ipv4.udp.address}`,
        { localSdp: req.offerSdp, headers: { ...req.headers, 'User-Agent': `drachtio-fsmrf:${uuid}`, 'X-esl-outbound': `${ms.advertisedAddress}:${ms.advertisedPort}` } },
        {
          cbRequest: (err, r) => {
            if (err || !r) return;
            uacReq = r;
            if (failure) r.cancel(() => undefined); // given up before the INVITE left
          },
        },
      );
    } catch (err) {
      if (failure) throw failure;
      const status = (err as SipErrorLike).status;
      throw typeof status === 'number' ? new ChannelSetupError('refused', `FreeSWITCH refused the offer: ${status}`, status, refusalDetail(err)) : new ChannelSetupError('failed', `INVITE to FreeSWITCH failed: ${(err as Error).message}`);
    }
    if (failure) {
      // answered after we gave up: end it at once
      byeQuietly(fsDialog);
      throw failure;
    }
    const dialog = fsDialog;
    pending.dialog = dialog;
    // FreeSWITCH ends the channel before its event socket came (it could not connect back): fail now
    dialog.on('destroy', () => {
      if (!endpoint) fail(new ChannelSetupError('failed', 'FreeSWITCH ended the channel before its event socket connected'));
    });
    return await new Promise<Mrf.Endpoint>((resolve, reject) => {
      rejectReady = reject;
      const produce = (conn: unknown): void => {
        ms.pendingConnections.delete(uuid);
        if (failure) return hangupSocket(conn);
        const ep = new Endpoint(conn, dialog, ms, {});
        endpoint = ep;
        ep.once('ready', () => {
          if (failure) return; // fail() destroyed it
          resolve(ep);
        });
      };
      // the event socket may have connected before FreeSWITCH's 200 OK reached us
      if (pending.conn !== undefined) produce(pending.conn);
      else pending.fn = produce;
    });
  } finally {
    done();
  }
}

function hangupSocket(conn: unknown): void {
  const c = conn as { execute?(app: string, arg: string, cb?: () => void): void };
  try {
    c.execute?.('hangup', 'NORMAL_TEMPORARY_FAILURE', () => undefined);
  } catch {
    /* the socket is gone: so is its channel */
  }
}
