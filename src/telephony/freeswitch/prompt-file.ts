import type { PromptRef } from '../switch';

/**
 * What FreeSWITCH's playback application is given for a prompt: a WAV made by `npm run build:prompts`
 * under the sound folder (`<soundDir>/<language>/<id>.wav`), `silence:<ms>` as a silence stream,
 * `tone:<spec>` as a tone stream (TGML, e.g. `tone:%(1000,4000,425)`).
 */
export function promptPlayback(prompt: PromptRef, soundDir: string): string {
  const silence = /^silence:(\d+)$/.exec(prompt.id);
  if (silence) return `silence_stream://${silence[1]}`;
  if (prompt.id.startsWith('tone:')) return `tone_stream://${prompt.id.slice('tone:'.length)}`;
  if (!/^[a-z0-9_]+$/i.test(prompt.id)) throw new Error(`prompt id ${JSON.stringify(prompt.id)} is not a valid prompt name`);
  return `${soundDir.replace(/\/+$/, '')}/${prompt.language ?? 'zh-CN'}/${prompt.id}.wav`;
}

/** Music played while a caller waits: a looped file (or a local_stream:// source) set in configuration. */
export function holdMusicPlayback(source: string, soundDir: string): string {
  if (/^[a-z_]+:\/\//.test(source)) return source;
  return `${soundDir.replace(/\/+$/, '')}/${source}`;
}
