/**
 * Where an outbound leg is sent. An agent (`agent:<userId>`) is reached at the contact their phone
 * or browser registered, through the connection it registered over (drachtio keeps WebSocket
 * connections for registered browsers); a phone number goes to the carrier trunk.
 */
export interface Registration {
  userId: string;
  /** The Contact URI the phone registered. */
  contact: string;
  /** Where the REGISTER came from (for phones behind NAT over UDP/TCP). */
  sourceAddress: string;
  sourcePort: number;
  protocol: string;
  /** The phone speaks WebRTC (a browser): its leg needs DTLS-SRTP and ICE. */
  webrtc: boolean;
  expiresAt: number;
}

export type DialTarget = { uri: string; proxy?: string; webrtc: boolean } | { error: string; sipStatus: number };

export function dialTarget(to: string, opts: { trunkUri: string | undefined; registration: Registration | undefined }): DialTarget {
  if (to.startsWith('agent:')) {
    const r = opts.registration;
    if (!r) return { error: `${to} has no registered phone`, sipStatus: 480 };
    // A browser's Contact (sip:x@y.invalid;transport=ws) is routed by drachtio through the WebSocket
    // it registered over (drachtio reports that connection's protocol as tcp).
    if (r.webrtc) return { uri: r.contact, webrtc: true };
    // Behind NAT the Contact names a private address the phone cannot be reached at: send the INVITE
    // back where the REGISTER came from. Otherwise the Contact is trusted as registered.
    const contactHost = /^sips?:(?:[^@]*@)?\[?([^\]:;>]+)/i.exec(r.contact)?.[1];
    if (contactHost === r.sourceAddress) return { uri: r.contact, webrtc: r.webrtc };
    return { uri: r.contact, proxy: `sip:${r.sourceAddress}:${r.sourcePort};transport=${r.protocol.toLowerCase()}`, webrtc: r.webrtc };
  }
  if (!/^\+?[0-9*#]{2,32}$/.test(to)) return { error: `${JSON.stringify(to)} is not a dialable number`, sipStatus: 484 };
  if (!opts.trunkUri) return { error: 'no SIP trunk configured for outbound calls (SIP_TRUNK_URI)', sipStatus: 503 };
  return { uri: trunkUriFor(to, opts.trunkUri), webrtc: false };
}

/** SIP_TRUNK_URI is a template such as `sip:{number}@carrier.example.com:5060`. */
export function trunkUriFor(number: string, template: string): string {
  return template.includes('{number}') ? template.replace('{number}', number) : template.replace(/^sips?:/, (s) => `${s}${number}@`);
}

/** SDP a browser sends (DTLS fingerprint, SAVPF profile) needs the WebRTC treatment. */
export function isWebRtcSdp(sdp: string | undefined): boolean {
  return !!sdp && (/UDP\/TLS\/RTP\/SAVPF/.test(sdp) || /^a=fingerprint:/m.test(sdp));
}
