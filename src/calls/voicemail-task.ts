import type { Types } from 'mongoose';
import type { Clock } from '../clock/clock';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import { LegGoneError, type LegId, type Switch } from '../telephony/switch';

/** The longest voicemail kept. */
const VOICEMAIL_MAX_MS = 120_000;

export interface VoicemailFor {
  callId: string;
  queueId: string;
  storeId: string | undefined;
  from: string;
  customerId: Types.ObjectId | undefined;
  language: 'zh-CN' | 'en';
}

/**
 * The caller leaves a message (ended by # or by hanging up), kept for someone to call back; true when
 * a message was saved.
 */
export async function takeVoicemail(d: { sw: Switch; clock: Clock; models: Models; inflight: InflightWrites }, leg: LegId, v: VoicemailFor): Promise<boolean> {
  let saved = false;
  try {
    await d.sw.stopHoldMusic(leg);
    const intro = await d.sw.play(leg, { id: 'voicemail_prompt', language: v.language });
    if (intro.outcome === 'hangup') return false;
    const r = await d.sw.recordMessage(leg, { maxMs: VOICEMAIL_MAX_MS, terminator: '#' });
    if (r.outcome !== 'recorded') return false;
    const at = new Date(d.clock.now());
    await d.inflight.track(
      withWriteRetry(() => d.models.Voicemail.create({ _id: v.callId, callId: v.callId, queueId: v.queueId, storeId: v.storeId, from: v.from, customerId: v.customerId, durationMs: r.durationMs, file: r.file, at })),
    );
    saved = true;
    if (r.endedBy !== 'hangup') await d.sw.play(leg, { id: 'voicemail_saved', language: v.language });
    return true;
  } catch (err) {
    if (err instanceof LegGoneError) return saved;
    throw err;
  }
}
