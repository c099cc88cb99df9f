import net from 'node:net';

/**
 * One FreeSWITCH API command over its inbound event socket (what fs_cli does), for tests that check
 * what the app left on the media server: e.g. `show channels count`. Resolves with the body.
 */
export function fsApi(freeswitch: { host: string; port: number; secret: string }, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(freeswitch.port, freeswitch.host);
    let buf = '';
    let step: 'auth' | 'authed' | 'api' = 'auth';
    const timer = setTimeout(() => fail(new Error(`FreeSWITCH did not answer "${command}" within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    sock.on('error', fail);
    sock.on('data', (d: Buffer) => {
      buf += d.toString();
      for (;;) {
        const end = buf.indexOf('\n\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const length = Number(/Content-Length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 2 + length) return;
        const body = buf.slice(end + 2, end + 2 + length);
        buf = buf.slice(end + 2 + length);
        const type = /Content-Type: ([^\n]+)/i.exec(head)?.[1]?.trim();
        if (type === 'auth/request' && step === 'auth') {
          step = 'authed';
          sock.write(`auth ${freeswitch.secret}\n\n`);
        } else if (type === 'command/reply' && step === 'authed') {
          if (!/\+OK/.test(head)) return fail(new Error(`FreeSWITCH refused the event socket password: ${head}`));
          step = 'api';
          sock.write(`api ${command}\n\n`);
        } else if (type === 'api/response' && step === 'api') {
          clearTimeout(timer);
          sock.end('exit\n\n');
          resolve(body);
        }
      }
    });
  });
}

/** Channels FreeSWITCH has now. */
export async function fsChannelCount(freeswitch: { host: string; port: number; secret: string }): Promise<number> {
  const body = await fsApi(freeswitch, 'show channels count');
  const n = /(\d+) total/.exec(body)?.[1];
  if (n === undefined) throw new Error(`unexpected answer to show channels count: ${body}`);
  return Number(n);
}
