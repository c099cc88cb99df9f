import { AdmissionControl, type AdmissionLimits, type LiveFigures } from '../../src/telephony/admission';
import { VirtualClock } from '../../src/clock/virtual-clock';
import { holdOf } from '../../src/telephony/sdp-direction';
import { setupRefusal } from '../../src/telephony/freeswitch/setup-refusal';
import { ChannelSetupError } from '../../src/telephony/freeswitch/media-connect';

const limits: AdmissionLimits = { maxCallsPerSecond: 5, maxChannels: 0, minIdleCpu: 20, maxPendingConnects: 3, retryAfterSeconds: 7 };
const idle: LiveFigures = { serverSessions: 0, serverMaxSessions: 1000, idleCpu: 90, ownChannels: 0, pendingConnects: 0 };

describe('admission control', () => {
  test('admits up to the calls-per-second ceiling in any one second, then refuses with Retry-After until the window moves on', async () => {
    const clock = new VirtualClock(0);
    const a = new AdmissionControl(limits);
    const verdicts = [];
    for (let i = 0; i < 8; i++) {
      verdicts.push(a.decide(clock.now(), idle));
      await clock.advance(100);
    }
    expect(verdicts.slice(0, 5).every((v) => v.admit)).toBe(true);
    expect(verdicts.slice(5)).toEqual(Array(3).fill({ admit: false, reason: 'more than 5 new calls per second', retryAfterSeconds: 7 }));
    await clock.advance(250); // t = 1050: the admission at t=0 has left the one-second window, the other four have not
    expect(a.decide(clock.now(), idle).admit).toBe(true);
    expect(a.decide(clock.now(), idle).admit).toBe(false);
    expect(a.refused).toBe(4);
  });

  test('refuses while too many admitted calls are still being set up (the bounded pending-connect queue)', () => {
    const a = new AdmissionControl(limits);
    expect(a.decide(0, { ...idle, pendingConnects: 2 }).admit).toBe(true);
    expect(a.decide(0, { ...idle, pendingConnects: 3 })).toMatchObject({ admit: false, reason: '3 calls are still being set up' });
  });

  test("channels: the server's Max-Sessions by default, a configured ceiling when set; the higher of its count and ours", () => {
    const a = new AdmissionControl(limits);
    expect(a.decide(0, { ...idle, serverSessions: 999 }).admit).toBe(true);
    expect(a.decide(0, { ...idle, serverSessions: 1000 })).toMatchObject({ admit: false, reason: 'the media server has 1000 of 1000 channels in use' });
    const capped = new AdmissionControl({ ...limits, maxChannels: 50 });
    // the heartbeat is seconds old; our own count is live
    expect(capped.decide(0, { ...idle, serverSessions: 10, ownChannels: 50 })).toMatchObject({ admit: false, reason: 'the media server has 50 of 50 channels in use' });
    expect(capped.decide(0, { ...idle, serverSessions: 49, ownChannels: 3 }).admit).toBe(true);
  });

  test("refuses when the media server's idle CPU is below the floor; no heartbeat yet is not a refusal", () => {
    const a = new AdmissionControl({ ...limits, maxCallsPerSecond: 0 });
    expect(a.decide(0, { ...idle, idleCpu: 12.4 })).toMatchObject({ admit: false, reason: "the media server's idle CPU is 12 %" });
    expect(a.decide(0, { ...idle, idleCpu: undefined, serverSessions: undefined, serverMaxSessions: undefined }).admit).toBe(true);
  });

  test('ceilings of 0 are off', () => {
    const a = new AdmissionControl({ maxCallsPerSecond: 0, maxChannels: 0, minIdleCpu: 0, maxPendingConnects: 0, retryAfterSeconds: 1 });
    for (let i = 0; i < 100; i++) expect(a.decide(0, { ...idle, idleCpu: 0, pendingConnects: 1e6, serverMaxSessions: undefined }).admit).toBe(true);
  });
});

describe('SDP hold state and setup refusals', () => {
  const sdp = (dir: string, c = '192.0.2.1'): string => `v=0\r\no=- 1 2 IN IP4 ${c}\r\ns=-\r\nc=IN IP4 ${c}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n${dir}`;
  test('sendonly, inactive, 0.0.0.0 (RFC 2543 hold) and back', () => {
    expect(holdOf(sdp('a=sendonly\r\n'))).toBe('sendonly');
    expect(holdOf(sdp('a=inactive\r\n'))).toBe('inactive');
    expect(holdOf(sdp('', '0.0.0.0'))).toBe('inactive');
    expect(holdOf(sdp('a=sendrecv\r\n'))).toBe('off');
    expect(holdOf(sdp(''))).toBe('off');
    expect(holdOf(sdp('a=recvonly\r\n'))).toBe('off');
  });

  test("FreeSWITCH's 488 becomes 488 with a 305 Warning; a timeout 503 with Retry-After; an app error 500", () => {
    expect(setupRefusal(new ChannelSetupError('refused', 'x', 488, 'INCOMPATIBLE_DESTINATION'))).toMatchObject({ sipStatus: 488, cause: 'incompatible_destination', headers: { Warning: expect.stringMatching(/^305 dcc-cti "Incompatible media format: .*INCOMPATIBLE_DESTINATION"$/) } });
    expect(setupRefusal(new ChannelSetupError('timeout', 'x'))).toMatchObject({ sipStatus: 503, cause: 'temporary_failure', reason: 'media server connect timeout', headers: { 'Retry-After': '5' } });
    expect(setupRefusal(new ChannelSetupError('refused', 'x', 500))).toMatchObject({ sipStatus: 503, reason: 'media server refused (500)' });
    expect(setupRefusal(new Error('boom'))).toMatchObject({ sipStatus: 500, reason: 'call setup failed: boom' });
  });
});
