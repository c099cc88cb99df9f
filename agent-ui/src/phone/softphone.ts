import type { RTCSession } from 'jssip/lib/RTCSession';
import type { RTCSessionEvent, UA } from 'jssip/lib/UA';
import type { SoftphoneMode } from '@shared/desk-api';

/**
 * The agent's phone in the browser. `webrtc`: JsSIP (loaded only then, its own chunk) registers over
 * WebSocket with the credentials of GET /api/me/sip and answers by itself the leg the server dials
 * after the agent accepts (the server's INVITE has no SDP: the browser offers, FreeSWITCH answers).
 * `sim`: the simulated switch answers for the agent; mute and keys stay in the page. `none`: a desk phone.
 */

export type PhoneStatus = 'off' | 'registering' | 'registered' | 'failed' | 'sim' | 'none';
export type PhoneSession = 'idle' | 'ringing' | 'talking' | 'ended';

export interface SipCredentials {
  username: string;
  password: string;
  realm: string;
  wsUri: string | null;
  iceServers?: RTCIceServer[];
}

export interface MediaStats {
  ice: string;
  packetsReceived: number;
  packetsSent: number;
  energy: number;
}

export interface PhoneListener {
  status(s: PhoneStatus, why?: string): void;
  session(s: PhoneSession): void;
}

export class Softphone {
  private ua: UA | undefined;
  private session: RTCSession | undefined;
  private pc: RTCPeerConnection | undefined;
  private stopped = false;
  status: PhoneStatus;
  sessionState: PhoneSession = 'idle';

  constructor(
    readonly mode: SoftphoneMode,
    private readonly listener: PhoneListener,
    private readonly audio: () => HTMLAudioElement | null,
  ) {
    this.status = mode === 'sim' ? 'sim' : mode === 'none' ? 'none' : 'off';
  }

  async start(credentials: () => Promise<SipCredentials>): Promise<void> {
    if (this.mode !== 'webrtc') return this.listener.status(this.status);
    const sip = await credentials();
    if (!sip.wsUri) return this.setStatus('off');
    const JsSIP = await import('jssip');
    if (this.stopped) return undefined;
    this.ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(sip.wsUri)],
      uri: `sip:${sip.username}@${sip.realm}`,
      authorization_user: sip.username,
      password: sip.password,
      realm: sip.realm,
      register: true,
      register_expires: 300,
      session_timers: false,
    });
    this.ua.on('registered', () => this.setStatus('registered'));
    this.ua.on('registrationFailed', (e) => this.setStatus('failed', String(e.cause ?? '')));
    this.ua.on('newRTCSession', (e: RTCSessionEvent) => this.incoming(e, sip.iceServers ?? []));
    this.setStatus('registering');
    this.ua.start();
    return undefined;
  }

  private setStatus(s: PhoneStatus, why?: string): void {
    this.status = s;
    this.listener.status(s, why);
  }

  private setSession(s: PhoneSession): void {
    this.sessionState = s;
    this.listener.session(s);
  }

  private incoming(e: RTCSessionEvent, iceServers: RTCIceServer[]): void {
    if (e.originator !== 'remote') return;
    const s = e.session;
    if (this.session) {
      s.terminate({ status_code: 486 });
      return;
    }
    this.session = s;
    s.on('peerconnection', (ev) => this.attach(ev.peerconnection));
    const done = (): void => {
      if (this.session === s) this.session = undefined;
      this.setSession('ended');
    };
    s.on('ended', done);
    s.on('failed', done);
    s.on('confirmed', () => this.setSession('talking'));
    this.setSession('ringing');
    // the server dials this phone only after the agent accepted on the desk: answer at once
    void this.answer(iceServers);
  }

  private async answer(iceServers: RTCIceServer[]): Promise<void> {
    const s = this.session;
    if (!s || s.isEstablished()) return;
    // asked for here: JsSIP asks for no microphone when the INVITE offers no audio (a late offer)
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    s.answer({ mediaStream: mic, pcConfig: { iceServers } });
    if (s.connection) this.attach(s.connection);
  }

  private attach(pc: RTCPeerConnection): void {
    if (this.pc === pc) return;
    this.pc = pc;
    pc.addEventListener('track', (ev) => {
      const el = this.audio();
      if (!el) return;
      el.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
      el.play().catch(() => undefined);
    });
  }

  mute(on: boolean): void {
    if (!this.session) return;
    if (on) this.session.mute({ audio: true });
    else this.session.unmute({ audio: true });
  }

  /** Keys to the far end (RFC 2833 through the SIP stack); false when there is no browser call to carry them. */
  sendDtmf(digits: string): boolean {
    if (!this.session?.isEstablished()) return false;
    this.session.sendDTMF(digits, { duration: 120, interToneGap: 80 });
    return true;
  }

  hangup(): void {
    this.session?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.hangup();
    this.ua?.stop();
  }

  /** ICE state, packets and audio energy heard (tests and the media check). */
  async stats(): Promise<MediaStats | null> {
    const pc = this.pc;
    if (!pc) return null;
    const out: MediaStats = { ice: pc.iceConnectionState, packetsReceived: 0, packetsSent: 0, energy: 0 };
    (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number; packetsSent?: number; totalAudioEnergy?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.packetsReceived = r.packetsReceived ?? 0;
        out.energy = r.totalAudioEnergy ?? 0;
      }
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent = r.packetsSent ?? 0;
    });
    return out;
  }
}

declare global {
  interface Window {
    /** The page's phone, for the real-stack browser test's media check. */
    softphone?: Softphone;
  }
}
