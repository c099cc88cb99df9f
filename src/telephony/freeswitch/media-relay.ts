import type Srf from 'drachtio-srf';
import type Mrf from 'drachtio-fsmrf';
import type { Logger } from 'pino';
import { holdOf } from '../sdp-direction';

/**
 * A re-INVITE or UPDATE from the far end (hold and unhold, a codec or address change, a session
 * refresh) goes on to the leg's FreeSWITCH channel as a re-INVITE of its own; FreeSWITCH's answer
 * (recvonly to a sendonly offer, inactive to inactive, its codec choice) goes back to the far end.
 * A refusal by FreeSWITCH is passed back with its status, so the far end keeps the old session.
 * Resolves with the hold state the offer asked for (undefined: nothing changed, or refused).
 */
export async function relayOffer(dialog: Srf.Dialog, ep: Mrf.Endpoint, req: Srf.SrfRequest, res: Srf.SrfResponse, log: Logger): Promise<'sendonly' | 'inactive' | 'off' | undefined> {
  const offer = req.body ?? '';
  if (!offer.trim()) {
    // a refresh without SDP (UPDATE, or a re-INVITE asking us to offer): our current SDP
    res.send(200, { body: dialog.local.sdp, headers: { 'Content-Type': 'application/sdp' } });
    return undefined;
  }
  try {
    const answer = ((await ep.modify(offer)) as string | undefined) ?? ep.local.sdp;
    dialog.local.sdp = answer;
    res.send(200, { body: answer, headers: { 'Content-Type': 'application/sdp' } });
    return holdOf(offer);
  } catch (err) {
    const status = (err as { status?: number }).status;
    const refused = typeof status === 'number' && status >= 400 ? status : 500;
    log.warn({ err: (err as Error).message, status: refused }, 'FreeSWITCH refused the far end\'s new offer');
    res.send(refused === 487 ? 500 : refused, {});
    return undefined;
  }
}
