import type { LegId, MonitorMode } from './switch';

/**
 * Who hears whom in a monitored conversation: the customer and the agent hear each other; a
 * listening supervisor hears both and is heard by nobody; a whispering one is heard by the agent
 * only; one who barges in is heard by both. Pure, so the simulated switch and the tests share it.
 */
export interface MonitoredConversation {
  customer: LegId | undefined;
  agent: LegId;
  supervisors: ReadonlyMap<LegId, MonitorMode>;
}

export function hearsInConversation(c: MonitoredConversation, listener: LegId): LegId[] {
  const heard: LegId[] = [];
  const parties = [c.customer, c.agent].filter((l): l is LegId => l !== undefined);
  for (const p of parties) if (p !== listener) heard.push(p);
  for (const [sup, mode] of c.supervisors) {
    if (sup === listener || mode === 'listen') continue;
    if (mode === 'whisper' && listener !== c.agent) continue;
    heard.push(sup);
  }
  return heard;
}

/**
 * The same rules as conference member settings (FreeSWITCH): a listener is a muted member; a
 * whisperer is related to the customer with "nospeak" (the customer does not hear them); a barger
 * is a full member.
 */
export function conferenceSettings(mode: MonitorMode): { muted: boolean; silentToCustomer: boolean } {
  return { muted: mode === 'listen', silentToCustomer: mode === 'whisper' };
}
