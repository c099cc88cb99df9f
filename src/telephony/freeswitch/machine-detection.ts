/**
 * Who answered an outbound call: FreeSWITCH's mod_avmd reports a voicemail beep; otherwise the
 * greeting decides. A person says something short ("喂？", "您好") and waits; a machine talks on
 * ("您好，您拨打的用户暂时无法接通……"). FreeSWITCH's wait_for_silence tells how long the callee spoke
 * before the first pause.
 */
export interface GreetingObservation {
  /** mod_avmd raised avmd::beep during the greeting. */
  beep: boolean;
  /** From answer until the first pause (or until the listen window ran out). */
  speechMs: number;
  /** False when no pause came within the listen window. */
  paused: boolean;
  /** Nothing at all was heard. */
  silent: boolean;
}

export interface MachineDetectionOptions {
  /** A greeting longer than this is a machine's (default 2,500 ms). */
  longGreetingMs: number;
}

export const DEFAULT_MACHINE_DETECTION: MachineDetectionOptions = { longGreetingMs: 2500 };

export function classifyGreeting(o: GreetingObservation, opts: MachineDetectionOptions = DEFAULT_MACHINE_DETECTION): 'human' | 'machine' {
  if (o.beep) return 'machine';
  if (!o.paused) return 'machine';
  if (o.silent) return 'human'; // someone picked up and listens; the dialer treats them as a person
  return o.speechMs > opts.longGreetingMs ? 'machine' : 'human';
}
