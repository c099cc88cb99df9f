import { execFileSync, spawnSync } from 'node:child_process';

/** RMS amplitude (0..1) of one channel of a WAV between two offsets in seconds, as sox measures it. */
export function rms(file: string, channel: 1 | 2, fromS: number, toS: number): number {
  // sox writes the statistics on stderr
  const res = spawnSync('sox', [file, '-n', 'trim', fromS.toFixed(2), (toS - fromS).toFixed(2), 'remix', String(channel), 'stat'], { encoding: 'utf8' });
  const m = /RMS\s+amplitude:\s+([\d.]+)/.exec(res.stderr);
  if (!m) throw new Error(`sox gave no RMS for ${file}`);
  return Number(m[1]);
}

/** A WAV file's channel count (-c) or length in seconds (-D), as sox reads it. */
export function soxi(flag: '-c' | '-D', file: string): number {
  return Number(execFileSync('soxi', [flag, file], { encoding: 'utf8' }).trim());
}
