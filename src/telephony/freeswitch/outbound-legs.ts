import type Srf from 'drachtio-srf';
import type Mrf from 'drachtio-fsmrf';
import type { Logger } from 'pino';
import { within, type Clock } from '../../clock/clock';
import type { DialResult } from '../switch';
import { answerBrowserOffer } from './browser-media';
import { untilEnded, type FsLeg } from './fs-leg';
import { classifyGreeting, greetingFromWaitForSilence, PAUSE_FRAMES, SPEECH_ENERGY, SPEECH_FRAMES, type MachineDetectionOptions } from './machine-detection';
import { byeQuietly, withGaps, type UacOptions, type UacProgress } from './srf-gaps';

/**
 * The legs the app dials (agents' phones and browsers, customers, transfer targets): how each kind
 * is called, how its ringing is stopped, and who answered it.
 */

export interface OutboundDeps {
  srf: Srf;
  clock: Clock;
  log: Logger;
}

/** An answered outbound leg: the far end's dialog and the FreeSWITCH channel for its media. */
export interface AnsweredLeg {
  dialog: Srf.Dialog;
  ep: Mrf.Endpoint;
}

export type RingingStop = 'cancel' | 'timeout';

/** The dial result of a leg whose ringing we stopped: cancelled by us, or not answered in time. */
export function ringingStopped(why: RingingStop): DialResult {
  return why === 'cancel' ? { outcome: 'cancelled', cause: 'originator_cancel', sipStatus: 487 } : { outcome: 'no_answer', cause: 'no_answer', sipStatus: 487 };
}

/**
 * A ringing leg stops on the ring timeout, on the caller's abort signal or on hangup() (leg.cancel):
 * by CANCEL, sent as soon as the INVITE has left.
 */
export function ringControl(d: OutboundDeps, leg: FsLeg, ringTimeoutMs: number, signal: AbortSignal | undefined): { progress: UacProgress; stoppedBy: () => RingingStop | undefined; done: () => void } {
  let uacReq: Srf.SrfRequest | undefined;
  let stoppedBy: RingingStop | undefined;
  const stop = (why: RingingStop): void => {
    if (stoppedBy) return;
    stoppedBy = why;
    uacReq?.cancel(() => undefined);
  };
  leg.cancel = () => stop('cancel');
  const onAbort = (): void => stop('cancel');
  signal?.addEventListener('abort', onAbort, { once: true });
  const ringTimer = d.clock.setTimer(`fs:${leg.id}:ring-timeout`, ringTimeoutMs, () => stop('timeout'));
  return {
    progress: {
      cbRequest: (err, req) => {
        if (err || !req) return; // createUAC rejects with it
        uacReq = req;
        if (stoppedBy) req.cancel(() => undefined); // cancelled before the INVITE left
      },
    },
    stoppedBy: () => stoppedBy,
    done: () => {
      d.clock.clearTimer(ringTimer);
      signal?.removeEventListener('abort', onAbort);
      delete leg.cancel;
    },
  };
}

/** Phones and trunks: FreeSWITCH offers first (a 3PCC endpoint); early media flows into it. */
export async function callPhone(d: OutboundDeps, ms: Mrf.MediaServer, leg: FsLeg, uri: string, uac: UacOptions, progress: UacProgress): Promise<AnsweredLeg> {
  const ep = await ms.createEndpoint({});
  leg.endpoint = ep;
  let earlySdp: string | undefined;
  try {
    const dialog = await withGaps(d.srf).createUAC(uri, { ...uac, localSdp: ep.local.sdp }, {
      ...progress,
      cbProvisional: (res) => {
        // early media (ringback, carrier announcements) flows into the endpoint
        if (res.status === 183 && res.body && !earlySdp) {
          earlySdp = res.body;
          void ep.modify(res.body).catch((err: unknown) => d.log.debug({ err }, 'early media not taken'));
        }
      },
    });
    if (dialog.remote.sdp && dialog.remote.sdp !== earlySdp) await ep.modify(dialog.remote.sdp);
    return { dialog, ep };
  } catch (err) {
    void ep.destroy().catch(() => undefined);
    throw err;
  }
}

/**
 * Browsers: late offer. The INVITE carries no SDP; the browser's 200 OK offers DTLS-SRTP with ICE;
 * FreeSWITCH answers that offer and the answer goes to the browser in the ACK.
 */
export async function callBrowser(d: OutboundDeps, ms: Mrf.MediaServer, uri: string, uac: UacOptions, progress: UacProgress): Promise<AnsweredLeg> {
  const answer = await withGaps(d.srf).createUAC(uri, { ...uac, noAck: true }, progress);
  if (!('ack' in answer)) {
    byeQuietly(answer);
    throw Object.assign(new Error('the browser answered without an SDP offer'), { status: 488 });
  }
  let media;
  try {
    media = await answerBrowserOffer(d.srf, ms, answer.sdp, d.clock);
  } catch (err) {
    await answer.destroy();
    throw err;
  }
  let dialog: Srf.Dialog;
  try {
    dialog = await answer.ack(media.answerSdp);
  } catch (err) {
    // no dialog with the browser (its 200 OK had no Contact): FreeSWITCH's side goes too
    byeQuietly(media.fsDialog);
    void media.endpoint.then((ep) => ep.destroy()).catch(() => undefined);
    throw err;
  }
  try {
    return { dialog, ep: await media.endpoint };
  } catch (err) {
    byeQuietly(dialog);
    throw err;
  }
}

/** Who answered: mod_avmd listens for a beep while wait_for_silence measures the greeting. */
export async function detectMachine(d: OutboundDeps, amd: MachineDetectionOptions, leg: FsLeg, ep: Mrf.Endpoint): Promise<'human' | 'machine'> {
  const listenMs = amd.longGreetingMs + 2000;
  let beep = false;
  const onBeep = (): void => {
    beep = true;
    void ep.api('uuid_break', ep.uuid).catch(() => undefined);
  };
  ep.addCustomEventListener('avmd::beep', onBeep);
  const t0 = d.clock.now();
  let result: Mrf.EslEvent | 'ended' | 'guard';
  try {
    await ep.execute('avmd_start').catch(() => undefined);
    const listening = ep.execute('wait_for_silence', `${SPEECH_ENERGY} ${PAUSE_FRAMES} ${SPEECH_FRAMES} ${listenMs}`);
    // FreeSWITCH counts the timeout in frames read; if none arrive it would wait forever
    result = await within(d.clock, `fs:${leg.id}:amd-guard`, listenMs + 1000, Promise.race([listening, untilEnded(leg)]), 'guard' as const);
    if (result === 'guard') void ep.api('uuid_break', ep.uuid).catch(() => undefined);
  } finally {
    ep.removeCustomEventListener('avmd::beep', onBeep);
    void ep.execute('avmd_stop').catch(() => undefined);
  }
  const elapsed = d.clock.now() - t0;
  const greeting = greetingFromWaitForSilence(typeof result === 'object' ? result : undefined, elapsed, beep);
  const answeredBy = classifyGreeting(greeting, amd);
  d.log.debug({ leg: leg.id, callId: leg.callId, greeting, elapsed, answeredBy }, 'machine detection');
  return answeredBy;
}
