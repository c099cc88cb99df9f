/**
 * The hold state an SDP offer asks for (RFC 3264 §8.4): the audio stream's direction attribute (or the
 * session's, when the stream has none); `c=0.0.0.0` is the old RFC 2543 way of saying inactive.
 */
export function holdOf(sdp: string): 'sendonly' | 'inactive' | 'off' {
  const lines = sdp.split(/\r?\n/);
  const audioAt = lines.findIndex((l) => l.startsWith('m=audio'));
  const session = audioAt < 0 ? lines : lines.slice(0, audioAt);
  const media = audioAt < 0 ? [] : lines.slice(audioAt + 1, nextMedia(lines, audioAt + 1));
  const direction = (ls: string[]): string | undefined => ls.map((l) => /^a=(sendonly|recvonly|inactive|sendrecv)\s*$/.exec(l)?.[1]).find((d) => d !== undefined);
  const dir = direction(media) ?? direction(session) ?? 'sendrecv';
  const nullAddress = [...media, ...session].some((l) => /^c=IN IP4 0\.0\.0\.0\s*$/.test(l));
  if (dir === 'inactive' || nullAddress) return 'inactive';
  return dir === 'sendonly' ? 'sendonly' : 'off';
}

function nextMedia(lines: string[], from: number): number {
  const i = lines.findIndex((l, idx) => idx >= from && l.startsWith('m='));
  return i < 0 ? lines.length : i;
}
