import type { Logger } from '../log';
import type { GeoPoint } from '../shared/assist';
import { LegGoneError, type Switch } from '../telephony/switch';
import type { DeviceDoc, MemberDoc } from './assist-models';

/** What the owner said when the theft alarm called them. */
export type OwnerAnswer = 'with_car' | 'not_with_car' | 'no_key' | 'no_answer' | 'no_phone';

/** How long the owner's phone rings, and how long they have to press a key. */
const RING_MS = 30_000;
const KEY_MS = 10_000;

/**
 * A theft alarm posted by the telematics provider: the owner is called with a short IVR ("press 1 if
 * you are with the car, 2 if not"); the answer is returned (and logged by the caller). Anything but
 * "with the car" makes the caller open a priority task for an assistant.
 */
export async function askOwner(d: { sw: Switch; callerId: string; log: Logger }, member: MemberDoc | null, alarmId: string): Promise<OwnerAnswer> {
  const phone = member?.phones[0];
  if (!phone) return 'no_phone';
  const r = await d.sw.dial({ to: phone, callerId: d.callerId, purpose: 'customer', ringTimeoutMs: RING_MS, headers: { 'x-call-id': alarmId } });
  if (r.outcome !== 'answered') return 'no_answer';
  try {
    const keys = await d.sw.collectDigits(r.legId, { minDigits: 1, maxDigits: 1, firstDigitTimeoutMs: KEY_MS, interDigitTimeoutMs: 3_000, prompt: { id: 'assist_theft_check' } });
    const answer: OwnerAnswer = keys.outcome === 'digits' && keys.digits === '1' ? 'with_car' : keys.outcome === 'digits' && keys.digits === '2' ? 'not_with_car' : 'no_key';
    await d.sw.play(r.legId, { id: answer === 'with_car' ? 'assist_theft_ok' : 'assist_theft_followup' });
    return answer;
  } catch (err) {
    if (err instanceof LegGoneError) return 'no_key';
    throw err;
  } finally {
    await d.sw.hangup(r.legId, 'normal_clearing').catch(() => undefined);
  }
}

export const OWNER_ANSWER_TEXT: Record<OwnerAnswer, string> = {
  with_car: 'owner pressed 1: with the car',
  not_with_car: 'owner pressed 2: NOT with the car',
  no_key: 'owner answered but pressed no valid key',
  no_answer: 'owner did not answer',
  no_phone: 'no phone number on file for the owner',
};

export interface TheftReport {
  device: DeviceDoc;
  position: GeoPoint | null;
  note: string;
}
