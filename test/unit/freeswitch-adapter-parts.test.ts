import { VirtualClock } from '../../src/clock/virtual-clock';
import { loadConfig } from '../../src/config/env';
import { DigitInput, collectDigits, waitForKey } from '../../src/telephony/digit-input';
import { dialTarget, isWebRtcSdp, trunkUriFor, type Registration } from '../../src/telephony/freeswitch/dial-target';
import { createHmac } from 'node:crypto';
import { deriveKey } from '../../src/auth/keys';
import { challengeHeader, checkNonce, digestResponse, makeNonce, parseDigest, sipPasswordFor, verifyDigest } from '../../src/telephony/freeswitch/digest-auth';
import { fsCauseFor, hangupCauseForFs } from '../../src/telephony/freeswitch/fs-causes';
import { classifyInbound, inCidr, parseCidrList } from '../../src/telephony/freeswitch/inbound-source';
import { classifyGreeting, greetingFromWaitForSilence } from '../../src/telephony/freeswitch/machine-detection';
import { holdMusicPlayback, promptPlayback } from '../../src/telephony/freeswitch/prompt-file';
import { recordingPath } from '../../src/telephony/recording-path';
import { readRegister } from '../../src/telephony/freeswitch/register-request';
import { dtmfFromSipInfo } from '../../src/telephony/freeswitch/sip-info-dtmf';
import { farEndVerdict } from '../../src/telephony/freeswitch/dialog-keepalive';

/** The drachtio/FreeSWITCH adapter's pure parts: what it decides from headers, SDP, causes and time. */

describe('digest authentication of agents’ phones', () => {
  const secret = 'a-server-secret-of-some-length';
  const now = Date.UTC(2026, 10, 24, 8);

  test('a phone that answers the challenge with the right password is accepted; a wrong one is not', () => {
    const nonce = makeNonce(secret, now);
    const challenge = challengeHeader('dcc-cti', nonce);
    expect(challenge).toContain(`nonce="${nonce}"`);
    const base = { username: 'ob1', realm: 'dcc-cti', nonce, uri: 'sip:dcc-cti', qop: 'auth', nc: '00000001', cnonce: 'abc' };
    const password = sipPasswordFor('ob1', secret);
    const header = `Digest username="ob1", realm="dcc-cti", nonce="${nonce}", uri="sip:dcc-cti", response="${digestResponse(base, password, 'REGISTER')}", qop=auth, nc=00000001, cnonce="abc", algorithm=MD5`;
    const creds = parseDigest(header);
    expect(creds).toMatchObject({ username: 'ob1', qop: 'auth', nc: '00000001' });
    expect(verifyDigest(creds!, password, 'REGISTER')).toBe(true);
    expect(verifyDigest(creds!, 'guess', 'REGISTER')).toBe(false);
    expect(verifyDigest(creds!, password, 'INVITE')).toBe(false); // the method is part of the response
  });

  test('nonces are signed and expire; a forged one is refused', () => {
    const nonce = makeNonce(secret, now);
    expect(checkNonce(nonce, secret, now + 60_000, 300_000)).toBe('ok');
    expect(checkNonce(nonce, secret, now + 301_000, 300_000)).toBe('stale');
    expect(checkNonce(nonce, 'another-secret-entirely', now, 300_000)).toBe('bad');
    expect(checkNonce(`${now.toString(36)}.forged`, secret, now, 300_000)).toBe('bad');
  });

  test('each agent has their own SIP password; it changes with the server secret and with their password version alone', () => {
    expect(sipPasswordFor('ob1', secret)).not.toBe(sipPasswordFor('ob2', secret));
    expect(sipPasswordFor('ob1', secret)).not.toBe(sipPasswordFor('ob1', `${secret}x`));
    expect(sipPasswordFor('ob1', secret)).toHaveLength(20);
    expect(sipPasswordFor('ob1', secret, 1)).not.toBe(sipPasswordFor('ob1', secret, 0));
    expect(sipPasswordFor('ob2', secret, 0)).toBe(sipPasswordFor('ob2', secret));
  });

  test('tokens, nonces and SIP passwords use keys derived per purpose (HKDF), never the server secret itself', () => {
    const keys = (['token-signing', 'sip-nonce', 'sip-password'] as const).map((p) => deriveKey(secret, p).toString('hex'));
    expect(new Set(keys).size).toBe(3);
    expect(keys.every((k) => k.length === 64)).toBe(true);
    // the old scheme signed with the raw secret: neither a nonce nor a password matches it any more
    const ts = now.toString(36);
    expect(makeNonce(secret, now)).not.toBe(`${ts}.${createHmac('sha256', secret).update(`nonce:${ts}`).digest('base64url').slice(0, 22)}`);
    expect(sipPasswordFor('ob1', secret)).not.toBe(createHmac('sha256', secret).update('sip-password:ob1').digest('base64url').slice(0, 20));
  });

  test('headers that are not digest credentials are not taken for them', () => {
    expect(parseDigest(undefined)).toBeUndefined();
    expect(parseDigest('Basic b2IxOnB3')).toBeUndefined();
    expect(parseDigest('Digest username="ob1", realm="x"')).toBeUndefined();
  });
});

describe('REGISTER', () => {
  test('binds the contact for the expiry the phone asks, by header or by contact parameter', () => {
    expect(readRegister('<sip:ob1@10.1.2.3:5062;transport=udp>', '600')).toEqual({ kind: 'bind', contact: 'sip:ob1@10.1.2.3:5062;transport=udp', expiresSec: 600 });
    expect(readRegister('"坐席" <sip:ob1@df7jal23ls0d.invalid;transport=ws>;expires=300', '3600')).toEqual({ kind: 'bind', contact: 'sip:ob1@df7jal23ls0d.invalid;transport=ws', expiresSec: 300 });
    expect(readRegister('sip:ob1@10.1.2.3', undefined, 1800)).toEqual({ kind: 'bind', contact: 'sip:ob1@10.1.2.3', expiresSec: 1800 });
  });

  test('Expires 0 and Contact * remove the binding; no Contact only asks; nonsense is refused with a reason', () => {
    expect(readRegister('<sip:ob1@10.1.2.3>', '0')).toEqual({ kind: 'unbind' });
    expect(readRegister('*', '0')).toEqual({ kind: 'unbind' });
    expect(readRegister(undefined, undefined)).toEqual({ kind: 'query' });
    expect(readRegister('*', '60')).toMatchObject({ kind: 'invalid', reason: 'Contact: * needs Expires: 0' });
    expect(readRegister('<http://x>', '60')).toMatchObject({ kind: 'invalid' });
    expect(readRegister('<sip:ob1@h>', 'soon')).toMatchObject({ kind: 'invalid', reason: 'bad Expires "soon"' });
  });
});

describe('where an INVITE comes from', () => {
  const policy = { trunkCidrs: ['203.0.113.0/28'], vehicleCidrs: ['198.51.100.7'], vehicleHeader: 'x-vehicle-vin' };

  test('carrier trunks, in-car terminal gateways and authenticated agents are told apart; strangers are refused', () => {
    expect(classifyInbound({ address: '203.0.113.5', headers: {}, agentUser: undefined }, policy)).toEqual({ source: 'trunk' });
    expect(classifyInbound({ address: '198.51.100.7', headers: { 'x-vehicle-vin': 'LSVAU2180N2183294' }, agentUser: undefined }, policy)).toEqual({ source: 'vehicle' });
    expect(classifyInbound({ address: '198.51.100.7', headers: {}, agentUser: undefined }, policy)).toMatchObject({ refuse: 400 });
    expect(classifyInbound({ address: '192.0.2.1', headers: {}, agentUser: 'ob1' }, policy)).toEqual({ source: 'agent' });
    expect(classifyInbound({ address: '192.0.2.1', headers: {}, agentUser: undefined }, policy)).toMatchObject({ refuse: 403, reason: expect.stringContaining('192.0.2.1') });
  });

  test('CIDR blocks', () => {
    expect(inCidr('10.0.0.200', '10.0.0.0/24')).toBe(true);
    expect(inCidr('10.0.1.1', '10.0.0.0/24')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inCidr('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(() => parseCidrList('10.0.0.0/24, 300.1.1.1', 'SIP_TRUNK_CIDRS')).toThrow('SIP_TRUNK_CIDRS: "300.1.1.1" is not an IPv4 address or CIDR block');
  });

  test('a bad CIDR list stops the server at start-up, naming the variable', () => {
    expect(() => loadConfig({ VEHICLE_GATEWAY_CIDRS: '10.0.0.0/33' })).toThrow(/VEHICLE_GATEWAY_CIDRS must be a comma-separated list/);
    expect(() => loadConfig({ SIP_TRUNK_URI: 'http://carrier' })).toThrow(/SIP_TRUNK_URI must be a SIP URI/);
  });
});

describe('digits, causes, targets', () => {
  test('SIP INFO digits, both body formats', () => {
    expect(dtmfFromSipInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toBe('5');
    expect(dtmfFromSipInfo('application/dtmf-relay; charset=utf-8', 'Signal= #\r\n')).toBe('#');
    expect(dtmfFromSipInfo('application/dtmf-relay', 'Signal=11\r\n')).toBe('#');
    expect(dtmfFromSipInfo('application/dtmf', '7')).toBe('7');
    expect(dtmfFromSipInfo('application/dtmf-relay', 'Signal=X')).toBeUndefined();
    expect(dtmfFromSipInfo('text/plain', '5')).toBeUndefined();
  });

  test('a call that outlived the drachtio connection ends when its far end says it is gone, not when the question fails', () => {
    expect(farEndVerdict({ status: 200 })).toBe('alive');
    expect(farEndVerdict({ status: 405 })).toBe('alive'); // a phone that does not take OPTIONS still answers
    expect(farEndVerdict({ status: 481 })).toBe('gone');
    expect(farEndVerdict({ status: 408 })).toBe('gone');
    expect(farEndVerdict({ error: 'unable to find dialog for dialog id provided' })).toBe('gone'); // drachtio dropped it on the far end's BYE
    expect(farEndVerdict({ error: 'socket not connected' })).toBe('unknown'); // drachtio away again: ask later
  });

  test('FreeSWITCH hangup causes map both ways', () => {
    expect(hangupCauseForFs('USER_BUSY')).toBe('user_busy');
    expect(hangupCauseForFs('MEDIA_TIMEOUT')).toBe('media_timeout');
    expect(hangupCauseForFs('ORIGINATOR_CANCEL')).toBe('originator_cancel');
    expect(hangupCauseForFs(undefined)).toBe('normal_clearing');
    for (const c of ['normal_clearing', 'user_busy', 'no_answer', 'call_rejected', 'originator_cancel', 'unallocated_number', 'network_failure', 'media_timeout', 'system_shutdown', 'incompatible_destination', 'temporary_failure'] as const) {
      expect(hangupCauseForFs(fsCauseFor(c))).toBe(c);
    }
  });

  test('an agent is dialled at their registered contact (where the REGISTER came from when behind NAT); numbers go to the trunk', () => {
    const reg: Registration = { userId: 'ob1', contact: 'sip:ob1@192.168.1.20:5062', sourceAddress: '203.0.113.9', sourcePort: 40112, protocol: 'udp', webrtc: false, expiresAt: 0 };
    expect(dialTarget('agent:ob1', { trunkUri: undefined, registration: reg })).toEqual({ uri: 'sip:ob1@192.168.1.20:5062', proxy: 'sip:203.0.113.9:40112;transport=udp', webrtc: false });
    expect(dialTarget('agent:ob1', { trunkUri: undefined, registration: { ...reg, protocol: 'wss', contact: 'sip:x@y.invalid;transport=ws', webrtc: true } })).toEqual({ uri: 'sip:x@y.invalid;transport=ws', webrtc: true });
    // drachtio reports a WebSocket registration's protocol as tcp: the browser is still reached through its own contact
    expect(dialTarget('agent:ob1', { trunkUri: undefined, registration: { ...reg, protocol: 'tcp', contact: 'sip:x@y.invalid;transport=ws', webrtc: true } })).toEqual({ uri: 'sip:x@y.invalid;transport=ws', webrtc: true });
    expect(dialTarget('agent:ob1', { trunkUri: undefined, registration: { ...reg, contact: 'sip:ob1@203.0.113.9:5070' } })).toEqual({ uri: 'sip:ob1@203.0.113.9:5070', webrtc: false });
    expect(dialTarget('agent:ob2', { trunkUri: undefined, registration: undefined })).toMatchObject({ sipStatus: 480 });
    expect(dialTarget('+8613800138000', { trunkUri: 'sip:{number}@carrier.example.com:5060', registration: undefined })).toEqual({ uri: 'sip:+8613800138000@carrier.example.com:5060', webrtc: false });
    expect(dialTarget('+8613800138000', { trunkUri: undefined, registration: undefined })).toMatchObject({ sipStatus: 503 });
    expect(dialTarget('13800;drop', { trunkUri: 'sip:{number}@c', registration: undefined })).toMatchObject({ sipStatus: 484 });
    expect(trunkUriFor('4008001234', 'sip:carrier.example.com')).toBe('sip:4008001234@carrier.example.com');
  });

  test('WebRTC SDP is recognised', () => {
    expect(isWebRtcSdp('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 AB:CD\r\n')).toBe(true);
    expect(isWebRtcSdp('v=0\r\nm=audio 4000 RTP/AVP 0 101\r\n')).toBe(false);
  });

  test('prompts, silence, tones and hold music become FreeSWITCH playback strings; odd ids are refused', () => {
    expect(promptPlayback({ id: 'welcome' }, '/usr/local/freeswitch/sounds/')).toBe('/usr/local/freeswitch/sounds/zh-CN/welcome.wav');
    expect(promptPlayback({ id: 'welcome', language: 'en' }, '/s')).toBe('/s/en/welcome.wav');
    expect(promptPlayback({ id: 'silence:500' }, '/s')).toBe('silence_stream://500');
    expect(promptPlayback({ id: 'tone:%(1000,4000,425)' }, '/s')).toBe('tone_stream://%(1000,4000,425)');
    expect(() => promptPlayback({ id: '../../etc/passwd' }, '/s')).toThrow('not a valid prompt name');
    expect(holdMusicPlayback('music/hold.wav', '/s')).toBe('/s/music/hold.wav');
    expect(holdMusicPlayback('local_stream://moh', '/s')).toBe('local_stream://moh');
  });

  test('recordings are filed by the dealer’s local date', () => {
    const lateEvening = Date.UTC(2026, 10, 24, 17, 30); // 01:30 on the 25th in Shanghai
    expect(recordingPath('/rec/', 'call-1', lateEvening, 'Asia/Shanghai')).toBe('/rec/2026/11/25/call-1.wav');
    expect(recordingPath('/rec', 'call-1', lateEvening, 'UTC')).toBe('/rec/2026/11/24/call-1.wav');
    expect(() => recordingPath('/rec', '../x', lateEvening, 'UTC')).toThrow('cannot name a file');
  });
});

describe('answering-machine detection', () => {
  test('a beep, an endless greeting or a long one is a machine; a short hello or silence is a person', () => {
    expect(classifyGreeting({ beep: true, paused: true, speechMs: 400, silent: false })).toBe('machine');
    expect(classifyGreeting({ beep: false, paused: false, speechMs: 4500, silent: false })).toBe('machine');
    expect(classifyGreeting({ beep: false, paused: true, speechMs: 3200, silent: false })).toBe('machine');
    expect(classifyGreeting({ beep: false, paused: true, speechMs: 700, silent: false })).toBe('human');
    expect(classifyGreeting({ beep: false, paused: true, speechMs: 0, silent: true })).toBe('human');
    expect(classifyGreeting({ beep: false, paused: true, speechMs: 3200, silent: false }, { longGreetingMs: 4000 })).toBe('human');
    expect(classifyGreeting({ beep: false, paused: false, speechMs: 4500, silent: true })).toBe('human');
  });

  test("wait_for_silence's channel variables tell a short hello, a greeting that runs on, and silence apart", () => {
    const vars = (h: Record<string, string>) => ({ getHeader: (name: string) => h[name] });
    // "喂，您好" (1.5 s), a pause: FreeSWITCH returns 0.5 s of pause + 0.5 s countdown later
    const hello = greetingFromWaitForSilence(vars({ variable_wait_for_silence_timeout: 'false', variable_wait_for_silence_listenhits: '60' }), 2600, false);
    expect(hello).toEqual({ beep: false, paused: true, speechMs: 1600, silent: false });
    expect(classifyGreeting(hello)).toBe('human');
    const machine = greetingFromWaitForSilence(vars({ variable_wait_for_silence_timeout: 'true', variable_wait_for_silence_listenhits: '220' }), 4500, false);
    expect(classifyGreeting(machine)).toBe('machine');
    const quiet = greetingFromWaitForSilence(vars({ variable_wait_for_silence_timeout: 'true', variable_wait_for_silence_listenhits: '3' }), 4500, false);
    expect(quiet.silent).toBe(true);
    expect(classifyGreeting(quiet)).toBe('human');
    expect(greetingFromWaitForSilence(undefined, 5500, false).silent).toBe(true);
    expect(classifyGreeting(greetingFromWaitForSilence(vars({ variable_wait_for_silence_timeout: 'false', variable_wait_for_silence_listenhits: '40' }), 1800, true))).toBe('machine');
  });
});

describe('digit input shared by both adapters', () => {
  test('keys pressed before collection starts are kept; the terminator ends it; timeouts are per digit', async () => {
    const clock = new VirtualClock();
    const input = new DigitInput();
    input.push('1');
    const first = collectDigits(input, clock, 't', { minDigits: 1, maxDigits: 6, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000, terminator: '#' });
    input.push('2');
    input.push('#');
    expect(await first).toEqual({ outcome: 'digits', digits: '12', terminated: true });
    const second = collectDigits(input, clock, 't', { minDigits: 3, maxDigits: 6, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000 });
    input.push('9');
    await clock.advance(2100);
    expect(await second).toEqual({ outcome: 'timeout', digits: '9' });
  });

  test('a hang-up wakes whoever waits for a key', async () => {
    const input = new DigitInput();
    const w = waitForKey(input, '#');
    input.push('1');
    input.end();
    expect(await w.done).toBe('hangup');
    const later = waitForKey(new DigitInput(), '#');
    later.abort();
    expect(await later.done).toBe('aborted');
  });
});
