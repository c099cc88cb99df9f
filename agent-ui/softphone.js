// The agent's browser phone: registers over WebSocket (through drachtio) with the SIP credentials the
// server derives for the user (GET /api/me/sip), rings or auto-answers the leg the server dials after
// the agent accepts a call, and plays the far end. The server's INVITE carries no SDP: the browser
// offers (DTLS-SRTP, ICE) and FreeSWITCH answers in the ACK.
/* global JsSIP */
window.Softphone = class Softphone {
  constructor({ sip, onStatus, onSession, audio }) {
    this.sip = sip;
    this.onStatus = onStatus;
    this.onSession = onSession;
    this.audio = audio;
    this.autoAnswer = true;
    this.session = null;
  }

  start() {
    if (!this.sip.wsUri) return this.onStatus('off');
    const host = this.sip.realm;
    this.ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(this.sip.wsUri)],
      uri: `sip:${this.sip.username}@${host}`,
      authorization_user: this.sip.username,
      password: this.sip.password,
      realm: this.sip.realm,
      register: true,
      register_expires: 300,
      session_timers: false,
    });
    this.ua.on('registered', () => this.onStatus('registered'));
    this.ua.on('registrationFailed', (e) => this.onStatus('failed', e.cause));
    this.ua.on('newRTCSession', (e) => this.incoming(e));
    this.onStatus('registering');
    this.ua.start();
  }

  incoming(e) {
    if (e.originator !== 'remote') return;
    if (this.session) return e.session.terminate({ status_code: 486 });
    const s = e.session;
    this.session = s;
    s.on('peerconnection', (ev) => this.attach(ev.peerconnection));
    const done = (why) => {
      if (this.session === s) this.session = null;
      this.onSession('ended', why);
    };
    s.on('ended', () => done('ended'));
    s.on('failed', (ev) => done(ev.cause));
    s.on('confirmed', () => this.onSession('talking'));
    this.onSession('ringing', s.remote_identity && s.remote_identity.uri ? s.remote_identity.uri.user : '');
    if (this.autoAnswer) this.answer();
  }

  async answer() {
    const s = this.session;
    if (!s || s.isEstablished()) return;
    // asked for here: JsSIP asks for no microphone when the INVITE offers no audio (a late offer)
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    s.answer({ mediaStream: mic, pcConfig: { iceServers: this.sip.iceServers || [] } });
    if (s.connection) this.attach(s.connection);
  }

  attach(pc) {
    if (this.pc === pc) return;
    this.pc = pc;
    pc.addEventListener('track', (ev) => {
      this.audio.srcObject = ev.streams[0] || new MediaStream([ev.track]);
      this.audio.play().catch(() => undefined);
    });
  }

  hangup() {
    if (this.session) this.session.terminate();
  }

  stop() {
    this.hangup();
    if (this.ua) this.ua.stop();
  }

  /** What a supervisor or a test wants to know of the media: ICE state, packets and energy heard. */
  async stats() {
    const pc = this.pc;
    if (!pc) return null;
    const out = { ice: pc.iceConnectionState, packetsReceived: 0, packetsSent: 0, energy: 0 };
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.packetsReceived = r.packetsReceived;
        out.energy = r.totalAudioEnergy || 0;
      }
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent = r.packetsSent;
    });
    return out;
  }
};
