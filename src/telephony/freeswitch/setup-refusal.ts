import type { HangupCause } from '../switch';
import { ChannelSetupError } from './media-connect';

export interface SetupRefusal {
  sipStatus: number;
  phrase: string;
  headers: Record<string, string>;
  cause: HangupCause;
  /** For the call record and the logs. */
  reason: string;
}

/** How long a caller refused for a slow or missing media server is asked to wait before trying again. */
const RETRY_AFTER_S = 5;

/**
 * The final response for an inbound call whose media could not be set up: FreeSWITCH refused the
 * offer's codecs → 488 with a Warning (RFC 3261 305 "Incompatible media format", FreeSWITCH's own
 * words appended); the media server slow or not reachable → 503 with Retry-After; anything else (an
 * error of this app) → 500.
 */
export function setupRefusal(err: unknown): SetupRefusal {
  if (err instanceof ChannelSetupError) {
    if (err.kind === 'refused' && (err.status === 488 || err.status === 606 || err.status === 415)) {
      const detail = err.detail ? `: ${err.detail.replace(/"/g, "'")}` : '';
      return { sipStatus: 488, phrase: 'Not Acceptable Here', headers: { Warning: `305 dcc-cti "Incompatible media format: no codec the media server accepts${detail}"` }, cause: 'incompatible_destination', reason: `codecs refused by the media server${detail}` };
    }
    if (err.kind === 'refused' || err.kind === 'timeout' || err.kind === 'failed') {
      const why = err.kind === 'timeout' ? 'media server connect timeout' : err.kind === 'refused' ? `media server refused (${err.status ?? '?'})` : 'media server unavailable';
      return { sipStatus: 503, phrase: 'Service Unavailable', headers: { 'Retry-After': String(RETRY_AFTER_S), Warning: `399 dcc-cti "${why}"` }, cause: 'temporary_failure', reason: why };
    }
  }
  const status = (err as { status?: number }).status;
  if (status === 488) return setupRefusal(new ChannelSetupError('refused', 'refused', 488));
  return { sipStatus: 500, phrase: 'Server Internal Error', headers: { Warning: '399 dcc-cti "call setup failed"' }, cause: 'temporary_failure', reason: `call setup failed: ${(err as Error)?.message ?? String(err)}` };
}
