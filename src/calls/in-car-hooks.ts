import type { InCarPop } from '../shared/assist';
import type { BodyPart } from '../telephony/switch';

/**
 * What an in-car call (#15, src/assist) adds to an inbound call: no IVR or greeting, its priority in
 * the assistant queue, the driver screen-pop, and its own timers (the crash escalation) started and
 * stopped with the call's phases. Implemented by src/assist/in-car.ts.
 */
export interface InCarHooks {
  readonly vin: string;
  readonly priority: number;
  /** The pop as it stands (an INFO may have updated it). */
  pop(): InCarPop;
  /** The call waits for an assistant. */
  queued(callId: string, queueId: string): void;
  /** An assistant talks to the driver. */
  connected(callId: string, agentId: string): void;
  /** The call is over (answered or not). */
  ended(callId: string): void;
  /** A SIP INFO from the car (an updated MSD): the new pop. */
  info(callId: string, parts: BodyPart[], headers: Record<string, string>): InCarPop;
}
