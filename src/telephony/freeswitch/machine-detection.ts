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
  if (o.silent) return 'human'; // someone picked up and listens; the dialer treats them as a person
  if (!o.paused) return 'machine'; // talked through the whole window
  return o.speechMs > opts.longGreetingMs ? 'machine' : 'human';
}

/** wait_for_silence arguments: a 20 ms frame louder than this (mean absolute sample) is speech… */
export const SPEECH_ENERGY = 200;
/** …this many quiet frames in a row make a pause (0.5 s)… */
export const PAUSE_FRAMES = 25;
/** …counted only after this many speech frames were heard. */
export const SPEECH_FRAMES = 10;
/** After the pause FreeSWITCH reads this many more frames before it returns. */
const COUNTDOWN_FRAMES = 25;
const FRAME_MS = 20;

/**
 * What wait_for_silence saw, from the channel variables it leaves (in its CHANNEL_EXECUTE_COMPLETE):
 * wait_for_silence_timeout (no pause came) and wait_for_silence_listenhits (speech frames heard).
 * Without them (FreeSWITCH read no frames at all, or the leg ended) nothing was heard.
 */
export function greetingFromWaitForSilence(vars: { getHeader(name: string): string | undefined } | undefined, elapsedMs: number, beep: boolean): GreetingObservation {
  const timedOut = vars?.getHeader('variable_wait_for_silence_timeout');
  if (vars === undefined || timedOut === undefined) return { beep, paused: false, speechMs: 0, silent: true };
  const heard = Number(vars.getHeader('variable_wait_for_silence_listenhits') ?? 0);
  const paused = timedOut === 'false';
  const speechMs = paused ? Math.max(0, elapsedMs - (PAUSE_FRAMES + COUNTDOWN_FRAMES) * FRAME_MS) : elapsedMs;
  return { beep, paused, speechMs, silent: !(heard > SPEECH_FRAMES) };
}
