import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type Mrf from 'drachtio-fsmrf';
import Endpoint from 'drachtio-fsmrf/lib/endpoint';
import type { Clock } from '../../clock/clock';
import { byeQuietly, withGaps } from './srf-gaps';

/** How long FreeSWITCH may take to connect its event socket for the new channel once it answered. */
const EVENT_SOCKET_WAIT_MS = 4000;

export interface BrowserMedia {
  /** FreeSWITCH's answer (DTLS fingerprint, ICE candidates): goes to the browser in the ACK. */
  answerSdp: string;
  /** The dialog with FreeSWITCH; the endpoint owns it. */
  fsDialog: Srf.Dialog;
  /** The endpoint, ready once FreeSWITCH's event socket for the channel has connected. */
  endpoint: Promise<Mrf.Endpoint>;
}

/**
 * FreeSWITCH answers a browser's offer. A browser cannot take an offer FreeSWITCH wrote for plain
 * RTP (3PCC endpoints are created before any dialplan could make them DTLS), so a browser's leg is
 * late-offer: the INVITE to the browser carries no SDP, the browser offers in its 200 OK, this sends
 * that offer to FreeSWITCH, and FreeSWITCH's answer goes back in the ACK; the DTLS handshake then
 * runs between them. drachtio-fsmrf does the same for an incoming browser call (connectCaller) but
 * has no outgoing variant, so this uses the pieces connectCaller uses (pendingConnections, Endpoint)
 * of drachtio-fsmrf 4.1.x.
 */
export async function answerBrowserOffer(srf: Srf, ms: Mrf.MediaServer, offerSdp: string, clock: Clock): Promise<BrowserMedia> {
  const uuid = randomUUID();
  const pending: Mrf.PendingConnection = {};
  ms.pendingConnections.set(uuid, pending);
  let fsDialog: Srf.Dialog;
  try {
    fsDialog = await withGaps(srf).createUAC(`sip:drachtio@${ms.sip.ipv4.udp.address}`, {
      localSdp: offerSdp,
      headers: {
        'User-Agent': `drachtio-fsmrf:${uuid}`,
        'X-esl-outbound': `${ms.advertisedAddress}:${ms.advertisedPort}`,
        'X-Media-WebRTC': 'true',
      },
    });
  } catch (err) {
    ms.pendingConnections.delete(uuid);
    throw err;
  }
  pending.dialog = fsDialog;
  const endpoint = new Promise<Mrf.Endpoint>((resolve, reject) => {
    const timer = clock.setTimer(`fs:browser-media:${uuid}`, EVENT_SOCKET_WAIT_MS, () => {
      ms.pendingConnections.delete(uuid);
      byeQuietly(fsDialog);
      reject(new Error('FreeSWITCH answered the browser leg but its event socket never connected'));
    });
    const produce = (conn: unknown): void => {
      clock.clearTimer(timer);
      ms.pendingConnections.delete(uuid);
      const ep = new Endpoint(conn, fsDialog, ms, {});
      ep.once('ready', () => resolve(ep));
    };
    // the event socket may have connected before FreeSWITCH's 200 OK reached us
    if (pending.conn !== undefined) produce(pending.conn);
    else pending.fn = produce;
  });
  return { answerSdp: fsDialog.remote.sdp, fsDialog, endpoint };
}
