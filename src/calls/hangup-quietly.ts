import type { Logger } from '../log';
import { LegGoneError, type LegId, type Switch } from '../telephony/switch';

/** Hangs up a leg that may be gone already (then there is nothing to do); other failures are logged. */
export async function hangupQuietly(sw: Switch, legId: LegId, log: Logger): Promise<void> {
  try {
    await sw.hangup(legId, 'normal_clearing');
  } catch (err) {
    if (!(err instanceof LegGoneError)) log.warn({ err, legId }, 'hangup failed');
  }
}
