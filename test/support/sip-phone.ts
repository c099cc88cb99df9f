import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { digestResponse, parseDigest } from '../../src/telephony/freeswitch/digest-auth';

/**
 * A small SIP user agent over UDP for tests against a real drachtio-server + FreeSWITCH: it calls in
 * (a caller on a trunk), answers or refuses calls sent to it (a customer's phone, a carrier trunk),
 * registers with digest credentials (an agent's phone), streams G.711 audio while a call is up and
 * sends keys as RFC 2833 events. One instance is one phone; numbers it is called on choose its behaviour.
 * It is a real peer on the wire, not a stand-in for the system under test.
 */

/** answer: answers and sends a quiet 400 Hz tone; answer_silent: answers and sends silence. */
export type PhoneBehaviour = 'answer' | 'answer_silent' | 'busy' | 'never';

interface Msg {
  first: string;
  status?: number;
  method?: string;
  headers: Map<string, string[]>;
  body: string;
}

function parse(text: string): Msg {
  const [head, ...rest] = text.split('\r\n\r\n');
  const lines = (head ?? '').split('\r\n');
  const first = lines.shift() ?? '';
  const headers = new Map<string, string[]>();
  const compact: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type' };
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    let name = line.slice(0, i).trim().toLowerCase();
    name = compact[name] ?? name;
    const list = headers.get(name) ?? [];
    list.push(line.slice(i + 1).trim());
    headers.set(name, list);
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return m ? { first, status: Number(m[1]), headers, body: rest.join('\r\n\r\n') } : { first, method: first.split(' ')[0] ?? '', headers, body: rest.join('\r\n\r\n') };
}

const h = (m: Msg, name: string): string => m.headers.get(name)?.[0] ?? '';
const tag = (): string => randomBytes(4).toString('hex');

export interface PhoneCall {
  callId: string;
  state: 'calling' | 'ringing' | 'up' | 'ended';
  sipStatus?: number;
  answered(): Promise<void>;
  ended(): Promise<{ sipStatus: number }>;
  sendDigits(digits: string): Promise<void>;
  hangup(): Promise<void>;
  /** Audio packets received from the far end (FreeSWITCH), a sign media flows. */
  rtpReceived: number;
}

interface Dialog {
  call: PhoneCall;
  localTag: string;
  remoteTag: string;
  fromHeader: string;
  toHeader: string;
  remoteTarget: string;
  cseq: number;
  inviteBranch: string;
  inviteCseq: number;
  outgoing: boolean;
  rtp?: { socket: dgram.Socket; timer?: NodeJS.Timeout; remote?: { host: string; port: number }; seq: number; ts: number; ssrc: number };
  resolveAnswered: () => void;
  resolveEnded: (s: { sipStatus: number }) => void;
}

export class SipPhone {
  private readonly socket = dgram.createSocket('udp4');
  private readonly dialogs = new Map<string, Dialog>();
  private readonly behaviours = new Map<string, PhoneBehaviour>();
  private pendingRegister: ((m: Msg) => void) | undefined;
  port = 0;
  /** Calls this phone received, newest last. */
  readonly incoming: PhoneCall[] = [];

  private constructor(readonly host: string) {}

  static async start(host = '127.0.0.1'): Promise<SipPhone> {
    const p = new SipPhone(host);
    await new Promise<void>((resolve) => p.socket.bind(0, host, () => resolve()));
    p.port = (p.socket.address() as AddressInfo).port;
    p.socket.on('message', (buf, rinfo) => p.onMessage(parse(buf.toString('utf8')), rinfo));
    return p;
  }

  /** Calls to this user part get this behaviour; others get 404. */
  behave(user: string, behaviour: PhoneBehaviour): void {
    this.behaviours.set(user, behaviour);
  }

  async close(): Promise<void> {
    for (const d of this.dialogs.values()) this.stopRtp(d);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** REGISTER as `user` with digest credentials; resolves with the final status. */
  async register(server: { host: string; port: number }, user: string, password: string, expires = 300): Promise<number> {
    const callId = `${tag()}${tag()}@${this.host}`;
    const fromTag = tag();
    const send = (cseq: number, auth?: string): Promise<Msg> =>
      new Promise((resolve) => {
        this.pendingRegister = resolve;
        const lines = [
          `REGISTER sip:${server.host}:${server.port} SIP/2.0`,
          `Via: SIP/2.0/UDP ${this.host}:${this.port};rport;branch=z9hG4bK${tag()}`,
          'Max-Forwards: 70',
          `From: <sip:${user}@${server.host}>;tag=${fromTag}`,
          `To: <sip:${user}@${server.host}>`,
          `Call-ID: ${callId}`,
          `CSeq: ${cseq} REGISTER`,
          `Contact: <sip:${user}@${this.host}:${this.port}>`,
          `Expires: ${expires}`,
          ...(auth ? [`Authorization: ${auth}`] : []),
          'Content-Length: 0',
        ];
        this.send(lines.join('\r\n') + '\r\n\r\n', server.host, server.port);
      });
    let res = await send(1);
    if (res.status === 401) {
      const ch = parseDigest(h(res, 'www-authenticate').replace(/^Digest/i, 'Digest username="x", uri="x", response="x",'));
      if (!ch) throw new Error(`unreadable challenge: ${h(res, 'www-authenticate')}`);
      const uri = `sip:${server.host}:${server.port}`;
      const base = { username: user, realm: ch.realm, nonce: ch.nonce, uri, qop: 'auth', nc: '00000001', cnonce: tag() };
      const response = digestResponse(base, password, 'REGISTER');
      res = await send(
        2,
        `Digest username="${user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="${base.cnonce}", algorithm=MD5`,
      );
    }
    return res.status ?? 0;
  }

  /** Calls `to` through the SIP server (drachtio). */
  /** `codecs`: what the offer lists (PCMU, PCMA, G722, G729; default PCMU). */
  async call(server: { host: string; port: number }, from: string, to: string, headers: Record<string, string> = {}, codecs: string[] = ['PCMU']): Promise<PhoneCall> {
    const callId = `${tag()}${tag()}@${this.host}`;
    const d = await this.newDialog(callId, true, `<sip:${from}@${this.host}:${this.port}>`, `<sip:${to}@${server.host}:${server.port}>`, `sip:${to}@${server.host}:${server.port}`);
    d.inviteCseq = d.cseq;
    const sdp = this.sdp(d, codecs);
    this.send(
      [
        `INVITE sip:${to}@${server.host}:${server.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${this.host}:${this.port};rport;branch=${d.inviteBranch}`,
        'Max-Forwards: 70',
        `From: ${d.fromHeader};tag=${d.localTag}`,
        `To: ${d.toHeader}`,
        `Call-ID: ${callId}`,
        `CSeq: ${d.cseq} INVITE`,
        `Contact: <sip:${from}@${this.host}:${this.port}>`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n'),
      server.host,
      server.port,
    );
    return d.call;
  }

  // ---- internals -------------------------------------------------------------------------

  private async newDialog(callId: string, outgoing: boolean, fromHeader: string, toHeader: string, remoteTarget: string): Promise<Dialog> {
    const rtpSocket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => rtpSocket.bind(0, this.host, () => resolve()));
    let resolveAnswered: () => void = () => undefined;
    let resolveEnded: (s: { sipStatus: number }) => void = () => undefined;
    const answered = new Promise<void>((r) => (resolveAnswered = r));
    const ended = new Promise<{ sipStatus: number }>((r) => (resolveEnded = r));
    const d: Dialog = {
      localTag: tag(),
      remoteTag: '',
      fromHeader,
      toHeader,
      remoteTarget,
      cseq: 1,
      inviteBranch: `z9hG4bK${tag()}`,
      inviteCseq: 1,
      outgoing,
      rtp: { socket: rtpSocket, seq: 1, ts: 0, ssrc: randomBytes(4).readUInt32BE(0) },
      resolveAnswered,
      resolveEnded,
      call: undefined as unknown as PhoneCall,
    };
    rtpSocket.on('message', () => void d.call.rtpReceived++);
    d.call = {
      callId,
      state: 'calling',
      rtpReceived: 0,
      answered: () => answered,
      ended: () => ended,
      sendDigits: (digits) => this.sendDigits(d, digits),
      hangup: async () => this.hangup(d),
    };
    this.dialogs.set(callId, d);
    return d;
  }

  private sdp(d: Dialog, codecs: string[] = ['PCMU']): string {
    const port = (d.rtp?.socket.address() as AddressInfo).port;
    const known: Record<string, [number, string]> = { PCMU: [0, 'PCMU/8000'], PCMA: [8, 'PCMA/8000'], G722: [9, 'G722/8000'], G729: [18, 'G729/8000'] };
    const offered = codecs.map((c) => known[c.toUpperCase()]).filter((x): x is [number, string] => x !== undefined);
    return ['v=0', `o=- ${Date.now()} 1 IN IP4 ${this.host}`, 's=test', `c=IN IP4 ${this.host}`, 't=0 0', `m=audio ${port} RTP/AVP ${offered.map(([pt]) => pt).join(' ')} 101`, ...offered.map(([pt, name]) => `a=rtpmap:${pt} ${name}`), 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
  }

  private send(text: string, host: string, port: number): void {
    this.socket.send(Buffer.from(text, 'utf8'), port, host);
  }

  private onMessage(m: Msg, rinfo: dgram.RemoteInfo): void {
    if (m.status !== undefined && h(m, 'cseq').endsWith('REGISTER')) {
      const r = this.pendingRegister;
      if (r && m.status >= 200) {
        this.pendingRegister = undefined;
        r(m);
      } else if (r && m.status === 401) r(m);
      return;
    }
    const callId = h(m, 'call-id');
    if (m.method === 'INVITE' && !this.dialogs.has(callId)) return void this.onIncomingInvite(m, rinfo);
    const d = this.dialogs.get(callId);
    if (!d) {
      if (m.method && m.method !== 'ACK') this.respond(m, 481, rinfo);
      return;
    }
    if (m.status !== undefined) return this.onResponse(d, m, rinfo);
    switch (m.method) {
      case 'BYE':
        this.respond(m, 200, rinfo);
        this.end(d, 200);
        break;
      case 'CANCEL':
        this.respond(m, 200, rinfo);
        if (d.call.state !== 'up' && d.call.state !== 'ended') {
          this.respondInvite(d, 487, rinfo);
          this.end(d, 487);
        }
        break;
      case 'INVITE': // re-INVITE: answer with the same SDP
        this.respond(m, 200, rinfo, this.sdp(d), d);
        this.takeRemoteMedia(d, m.body);
        break;
      case 'ACK':
        break;
      default:
        this.respond(m, 200, rinfo);
    }
  }

  private lastInvite = new Map<string, Msg>();

  private onIncomingInvite(m: Msg, rinfo: dgram.RemoteInfo): void {
    const user = /sip:([^@;>]+)@/.exec(m.first)?.[1] ?? '';
    const behaviour = this.behaviours.get(user);
    if (!behaviour) return this.respond(m, 404, rinfo);
    if (behaviour === 'busy') return this.respond(m, 486, rinfo);
    const callId = h(m, 'call-id');
    const dialog = this.newDialog(callId, false, h(m, 'to'), h(m, 'from'), /<([^>]+)>/.exec(h(m, 'contact'))?.[1] ?? `sip:${rinfo.address}:${rinfo.port}`).then((d) => {
      this.lastInvite.set(callId, m);
      this.incoming.push(d.call);
      d.remoteTag = /;tag=([^;\s]+)/.exec(h(m, 'from'))?.[1] ?? '';
      d.call.state = 'ringing';
      this.takeRemoteMedia(d, m.body);
      this.respond(m, 180, rinfo, undefined, d);
      if (behaviour === 'answer' || behaviour === 'answer_silent')
        setTimeout(() => {
          if (d.call.state !== 'ringing') return;
          this.respond(m, 200, rinfo, this.sdp(d), d);
          d.call.state = 'up';
          this.startRtp(d, behaviour === 'answer_silent' ? 0 : 2000);
          d.resolveAnswered();
        }, 500);
    });
    dialog.catch((err: unknown) => console.error('test phone: incoming call not set up', err));
  }

  private respondInvite(d: Dialog, status: number, rinfo: dgram.RemoteInfo): void {
    const inv = this.lastInvite.get(d.call.callId);
    if (inv) this.respond(inv, status, rinfo, undefined, d);
  }

  private respond(m: Msg, status: number, rinfo: dgram.RemoteInfo, sdp?: string, d?: Dialog): void {
    const reason: Record<number, string> = { 180: 'Ringing', 200: 'OK', 404: 'Not Found', 481: 'Call Does Not Exist', 486: 'Busy Here', 487: 'Request Terminated' };
    const to = h(m, 'to');
    const lines = [
      `SIP/2.0 ${status} ${reason[status] ?? 'Status'}`,
      ...(m.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${h(m, 'from')}`,
      `To: ${/;tag=/.test(to) || status === 100 ? to : `${to};tag=${d?.localTag ?? tag()}`}`,
      `Call-ID: ${h(m, 'call-id')}`,
      `CSeq: ${h(m, 'cseq')}`,
      `Contact: <sip:phone@${this.host}:${this.port}>`,
      ...(sdp ? ['Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp] : ['Content-Length: 0', '', '']),
    ];
    this.send(lines.join('\r\n'), rinfo.address, rinfo.port);
  }

  private onResponse(d: Dialog, m: Msg, rinfo: dgram.RemoteInfo): void {
    const [, method] = h(m, 'cseq').split(/\s+/);
    const status = m.status ?? 0;
    if (method !== 'INVITE') return;
    if (status < 200) {
      if (status >= 180) d.call.state = 'ringing';
      return;
    }
    d.remoteTag = /;tag=([^;\s]+)/.exec(h(m, 'to'))?.[1] ?? d.remoteTag;
    if (status < 300) {
      d.remoteTarget = /<([^>]+)>/.exec(h(m, 'contact'))?.[1] ?? d.remoteTarget;
      this.sendRequest(d, 'ACK', rinfo, d.inviteCseq);
      if (d.call.state === 'up') return; // a retransmitted 200
      d.call.state = 'up';
      this.takeRemoteMedia(d, m.body);
      this.startRtp(d);
      d.resolveAnswered();
      return;
    }
    // a failure: ACK it (same branch) and end
    this.send(this.inviteTransactionRequest(d, 'ACK', h(m, 'to')), rinfo.address, rinfo.port);
    this.end(d, status);
  }

  private server: { host: string; port: number } | undefined;

  private sendRequest(d: Dialog, method: string, rinfo: { address: string; port: number }, cseq?: number): void {
    this.server = { host: rinfo.address, port: rinfo.port };
    const n = cseq ?? ++d.cseq;
    const from = d.outgoing ? `${d.fromHeader};tag=${d.localTag}` : `${d.fromHeader.replace(/;tag=[^;]*/, '')};tag=${d.localTag}`;
    const to = d.outgoing ? `${d.toHeader};tag=${d.remoteTag}` : d.toHeader;
    this.send(
      [
        `${method} ${d.remoteTarget} SIP/2.0`,
        `Via: SIP/2.0/UDP ${this.host}:${this.port};rport;branch=z9hG4bK${tag()}`,
        'Max-Forwards: 70',
        `From: ${from}`,
        `To: ${to}`,
        `Call-ID: ${d.call.callId}`,
        `CSeq: ${n} ${method}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      rinfo.address,
      rinfo.port,
    );
  }

  private async hangup(d: Dialog): Promise<void> {
    const target = this.server ?? this.serverFromTarget(d);
    if (d.call.state === 'up') {
      this.sendRequest(d, 'BYE', { address: target.host, port: target.port });
      this.end(d, 200);
    } else if (d.outgoing && d.call.state !== 'ended') {
      this.send(this.inviteTransactionRequest(d, 'CANCEL', d.toHeader), target.host, target.port);
    }
  }

  /** ACK of a failed INVITE and CANCEL: same branch and CSeq number as the INVITE (RFC 3261 §9.1, §17.1.1.3). */
  private inviteTransactionRequest(d: Dialog, method: 'ACK' | 'CANCEL', to: string): string {
    return [
      `${method} ${d.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.host}:${this.port};rport;branch=${d.inviteBranch}`,
      'Max-Forwards: 70',
      `From: ${d.fromHeader};tag=${d.localTag}`,
      `To: ${to}`,
      `Call-ID: ${d.call.callId}`,
      `CSeq: ${d.inviteCseq} ${method}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  private serverFromTarget(d: Dialog): { host: string; port: number } {
    const m = /@([^:;>]+):?(\d+)?/.exec(d.remoteTarget);
    return { host: m?.[1] ?? '127.0.0.1', port: Number(m?.[2] ?? 5060) };
  }

  private end(d: Dialog, sipStatus: number): void {
    if (d.call.state === 'ended') return;
    d.call.state = 'ended';
    d.call.sipStatus = sipStatus;
    this.stopRtp(d);
    d.resolveEnded({ sipStatus });
  }

  private takeRemoteMedia(d: Dialog, sdp: string): void {
    const host = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
    const port = /^m=audio (\d+)/m.exec(sdp)?.[1];
    if (host && port && d.rtp) d.rtp.remote = { host, port: Number(port) };
  }

  /** 20 ms PCMU frames of a quiet 400 Hz tone (amplitude 0: silence), so FreeSWITCH sees live media and recordings have sound. */
  private startRtp(d: Dialog, amplitude = 2000): void {
    const rtp = d.rtp;
    if (!rtp || rtp.timer) return;
    const frame = Buffer.alloc(160);
    let phase = 0;
    rtp.timer = setInterval(() => {
      if (!rtp.remote) return;
      for (let i = 0; i < 160; i++, phase++) frame[i] = linearToUlaw(Math.round(amplitude * Math.sin((2 * Math.PI * 400 * phase) / 8000)));
      this.sendRtp(rtp, 0, frame, false);
      rtp.ts += 160;
    }, 20);
  }

  private stopRtp(d: Dialog): void {
    if (!d.rtp) return;
    if (d.rtp.timer) clearInterval(d.rtp.timer);
    d.rtp.timer = undefined;
    try {
      d.rtp.socket.close();
    } catch {
      /* closed */
    }
    d.rtp = undefined;
  }

  private sendRtp(rtp: NonNullable<Dialog['rtp']>, pt: number, payload: Buffer, marker: boolean, timestamp = rtp.ts): void {
    if (!rtp.remote) return;
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = (marker ? 0x80 : 0) | pt;
    header.writeUInt16BE(rtp.seq++ & 0xffff, 2);
    header.writeUInt32BE(timestamp >>> 0, 4);
    header.writeUInt32BE(rtp.ssrc, 8);
    rtp.socket.send(Buffer.concat([header, payload]), rtp.remote.port, rtp.remote.host);
  }

  /** RFC 2833 telephone events, 100 ms per key and 100 ms apart, end packet sent three times. */
  private async sendDigits(d: Dialog, digits: string): Promise<void> {
    const codes: Record<string, number> = { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 };
    for (const key of digits) {
      const rtp = d.rtp;
      if (!rtp) return;
      const event = codes[key] ?? Number(key);
      const ts = rtp.ts;
      // one event: five updates 20 ms apart, then the end packet three times, all with the event's timestamp
      for (let i = 1; i <= 8; i++) {
        const end = i > 5;
        const payload = Buffer.from([event, (end ? 0x80 : 0) | 10, 0, 0]);
        payload.writeUInt16BE(Math.min(i, 5) * 160, 2);
        this.sendRtp(rtp, 101, payload, i === 1, ts);
        if (!end) await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** G.711 µ-law encoding of a 16-bit sample. */
function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, sample));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}
