import { LegGoneError, MediaSetupError, type CallOffered, type LegHangup, type RecordingStopped, type Switch } from '../../src/telephony/switch';

/**
 * The behaviour every Switch adapter must show, whatever engine is behind it. Run it through an
 * adapter by giving it a harness: the simulated switch drives callers in-process; the real
 * adapter drives SIPp user agents against drachtio-server and FreeSWITCH.
 */

export interface PeerCall {
  /** Resolves when the far end sees the call answered. */
  answered(): Promise<void>;
  /** Resolves with the SIP status the far end saw when the call ended (200 for a normal BYE). */
  ended(): Promise<{ sipStatus: number }>;
  sendDigits(digits: string): Promise<void>;
  hangup(): Promise<void>;
}

export interface ContractHarness {
  sw: Switch;
  /** A caller dials in. */
  callIn(call: { from: string; to: string; headers?: Record<string, string>; /** What the caller's offer lists (default: a usual PCMU/PCMA offer). */ codecs?: string[] }): Promise<PeerCall>;
  /** A phone the switch can dial, answering after answerMs, or busy / never answering. */
  phone(address: string, behaviour: 'answer' | 'busy' | 'never'): Promise<void>;
  /** Whom a leg hears, where the engine can tell (the simulation); a real stack leaves it out. */
  hears?(legId: string): string[];
  /** Lets time pass: virtual time in the simulation, real time on a real stack. */
  pass(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function describeSwitchContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`Switch contract: ${name}`, () => {
    let h: ContractHarness;
    const offers: CallOffered[] = [];
    const hangups: LegHangup[] = [];
    const onOffer = (o: CallOffered): void => void offers.push(o);
    const onHangup = (x: LegHangup): void => void hangups.push(x);

    beforeEach(async () => {
      offers.length = 0;
      hangups.length = 0;
      h = await makeHarness();
      h.sw.on('call.offered', onOffer);
      h.sw.on('leg.hangup', onHangup);
    });

    afterEach(async () => {
      h.sw.off('call.offered', onOffer);
      h.sw.off('leg.hangup', onHangup);
      await h.close();
    });

    async function offered(): Promise<CallOffered> {
      for (let i = 0; i < 200 && offers.length === 0; i++) await h.pass(10);
      const o = offers.shift();
      if (!o) throw new Error('no call.offered event');
      return o;
    }

    async function hangupOf(legId: string): Promise<LegHangup> {
      for (let i = 0; i < 200; i++) {
        const x = hangups.find((e) => e.legId === legId);
        if (x) return x;
        await h.pass(10);
      }
      throw new Error(`no leg.hangup for ${legId}`);
    }

    test('an inbound call is offered with caller, callee and headers, and can be answered', async () => {
      const peer = await h.callIn({ from: '+8613800138000', to: '4008001234', headers: { 'X-Vehicle-VIN': 'LSVAU2180N2183294' } });
      const o = await offered();
      expect(o).toMatchObject({ from: '+8613800138000', to: '4008001234' });
      expect(o.headers['x-vehicle-vin']).toBe('LSVAU2180N2183294');
      await h.sw.answer(o.legId);
      await peer.answered();
      await h.sw.hangup(o.legId);
      expect(await peer.ended()).toEqual({ sipStatus: 200 });
      expect(await hangupOf(o.legId)).toMatchObject({ by: 'local' });
    });

    test('an offer with no codec the engine takes: answer() fails, the caller gets 488, the leg ends with that status', async () => {
      const peer = await h.callIn({ from: '+8613800138009', to: '4008001234', codecs: ['G729'] });
      const o = await offered();
      await expect(h.sw.answer(o.legId)).rejects.toBeInstanceOf(MediaSetupError);
      expect(await peer.ended()).toEqual({ sipStatus: 488 });
      expect(await hangupOf(o.legId)).toMatchObject({ by: 'local', cause: 'incompatible_destination', sipStatus: 488 });
    });

    test('a caller who cancels before the answer: answer() fails as gone, the leg ends with 487', async () => {
      const peer = await h.callIn({ from: '+8613800138010', to: '4008001234' });
      const o = await offered();
      await peer.hangup();
      expect(await hangupOf(o.legId)).toMatchObject({ by: 'remote', cause: 'originator_cancel' });
      await expect(h.sw.answer(o.legId)).rejects.toBeInstanceOf(LegGoneError);
      expect(await peer.ended()).toEqual({ sipStatus: 487 });
    });

    test('a call can be refused with a SIP status the caller sees', async () => {
      const peer = await h.callIn({ from: '+8613800138001', to: '4008001234' });
      const o = await offered();
      await h.sw.reject(o.legId, 486);
      expect(await peer.ended()).toEqual({ sipStatus: 486 });
    });

    test('a prompt plays to the end, and digits the caller presses are collected', async () => {
      const peer = await h.callIn({ from: '+8613800138002', to: '4008001234' });
      const o = await offered();
      await h.sw.answer(o.legId);
      await peer.answered();
      const playing = h.sw.play(o.legId, { id: 'welcome' });
      await h.pass(10_000);
      expect(await playing).toEqual({ outcome: 'completed' });
      const collecting = h.sw.collectDigits(o.legId, { minDigits: 1, maxDigits: 4, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000, terminator: '#' });
      await peer.sendDigits('12#');
      await h.pass(3000);
      expect(await collecting).toEqual({ outcome: 'digits', digits: '12', terminated: true });
      await peer.hangup();
      expect(await hangupOf(o.legId)).toMatchObject({ by: 'remote', cause: 'normal_clearing' });
    });

    test('collecting digits from a silent caller times out', async () => {
      const peer = await h.callIn({ from: '+8613800138003', to: '4008001234' });
      const o = await offered();
      await h.sw.answer(o.legId);
      await peer.answered();
      const collecting = h.sw.collectDigits(o.legId, { minDigits: 1, maxDigits: 1, firstDigitTimeoutMs: 3000, interDigitTimeoutMs: 1000 });
      await h.pass(3500);
      expect(await collecting).toEqual({ outcome: 'timeout', digits: '' });
      await h.sw.hangup(o.legId);
    });

    test('a message is recorded until the caller presses the terminator, or hangs up', async () => {
      const peer = await h.callIn({ from: '+8613800138006', to: '4008001234' });
      const o = await offered();
      await h.sw.answer(o.legId);
      await peer.answered();
      const recording = h.sw.recordMessage(o.legId, { maxMs: 60_000, terminator: '#' });
      await h.pass(5000);
      await peer.sendDigits('#');
      await h.pass(500);
      const r = await recording;
      expect(r).toMatchObject({ outcome: 'recorded', endedBy: 'terminator' });
      expect(r.outcome === 'recorded' && r.durationMs).toBeGreaterThanOrEqual(4500);
      const second = h.sw.recordMessage(o.legId, { maxMs: 60_000, terminator: '#' });
      await h.pass(3000);
      await peer.hangup();
      expect(await second).toMatchObject({ outcome: 'recorded', endedBy: 'hangup' });
    });

    test('a recording stops at its limit', async () => {
      const peer = await h.callIn({ from: '+8613800138007', to: '4008001234' });
      const o = await offered();
      await h.sw.answer(o.legId);
      await peer.answered();
      const recording = h.sw.recordMessage(o.legId, { maxMs: 4000 });
      await h.pass(4500);
      expect(await recording).toMatchObject({ outcome: 'recorded', endedBy: 'max', durationMs: expect.any(Number) });
      await h.sw.hangup(o.legId);
    });

    test('a caller hanging up during a prompt ends the prompt and reports the hang-up', async () => {
      const peer = await h.callIn({ from: '+8613800138004', to: '4008001234' });
      const o = await offered();
      await h.sw.answer(o.legId);
      await peer.answered();
      const playing = h.sw.play(o.legId, { id: 'welcome' });
      await peer.hangup();
      expect(await playing).toEqual({ outcome: 'hangup' });
      expect(await hangupOf(o.legId)).toMatchObject({ by: 'remote' });
    });

    /** A caller answered and bridged to an agent's phone that was dialled. */
    async function callerWithAgent(agent: string, from: string): Promise<{ peer: PeerCall; caller: string; agentLeg: string }> {
      await h.phone(agent, 'answer');
      const peer = await h.callIn({ from, to: '4008001234' });
      const o = await offered();
      await h.sw.answer(o.legId);
      const dialling = h.sw.dial({ to: agent, callerId: from, purpose: 'agent', ringTimeoutMs: 10_000 });
      await h.pass(1000);
      const d = await dialling;
      if (d.outcome !== 'answered') throw new Error(`agent leg not answered: ${d.outcome}`);
      await h.sw.bridge(o.legId, d.legId);
      return { peer, caller: o.legId, agentLeg: d.legId };
    }

    test('dialling: answered legs can be bridged; when one side hangs up the other stays up until told', async () => {
      const { peer, caller, agentLeg } = await callerWithAgent('agent:9001', '+8613800138005');
      const o = { legId: caller };
      const d = { legId: agentLeg };
      await peer.hangup();
      await hangupOf(o.legId);
      await h.pass(500);
      expect(hangups.filter((x) => x.legId === d.legId)).toEqual([]); // the survivor is still up (a failure shows how it ended)
      await h.sw.hangup(d.legId);
      expect(await hangupOf(d.legId)).toMatchObject({ by: 'local' });
    });

    test('a bridged call is recorded in stereo until a leg ends; the masked stretch is counted', async () => {
      const stopped: RecordingStopped[] = [];
      const onStopped = (e: RecordingStopped): void => void stopped.push(e);
      h.sw.on('recording.stopped', onStopped);
      try {
        const { peer, caller, agentLeg } = await callerWithAgent('agent:9002', '+8613800138008');
        const o = { legId: caller };
        const d = { legId: agentLeg };
        const { file } = await h.sw.startRecording(o.legId, { name: 'call-rec-1', timeZone: 'Asia/Shanghai' });
        expect(file).toMatch(/\/\d{4}\/\d{2}\/\d{2}\/call-rec-1\.wav$/);
        await h.pass(2000);
        await h.sw.setRecordingMasked(o.legId, true);
        await h.pass(1000);
        await h.sw.setRecordingMasked(o.legId, false);
        await h.pass(1000);
        await peer.hangup();
        await hangupOf(o.legId);
        for (let i = 0; i < 500 && stopped.length === 0; i++) await h.pass(10);
        expect(stopped).toHaveLength(1);
        expect(stopped[0]).toMatchObject({ legId: o.legId, name: 'call-rec-1', file, channels: 2 });
        expect(stopped[0]?.durationMs).toBeGreaterThanOrEqual(3500);
        expect(stopped[0]?.durationMs).toBeLessThan(8000);
        expect(stopped[0]?.maskedMs).toBeGreaterThanOrEqual(900);
        expect(stopped[0]?.maskedMs).toBeLessThan(2000);
        await h.sw.hangup(d.legId);
      } finally {
        h.sw.off('recording.stopped', onStopped);
      }
    });

    test('a supervisor listens, whispers and barges in; the conversation goes on when they leave; a held leg is bridged back', async () => {
      const { peer, caller, agentLeg } = await callerWithAgent('agent:9003', '+8613800138009');
      await h.phone('agent:9100', 'answer');
      const dialling = h.sw.dial({ to: 'agent:9100', callerId: '4008001234', purpose: 'supervisor', ringTimeoutMs: 10_000 });
      await h.pass(1000);
      const sup = await dialling;
      if (sup.outcome !== 'answered') throw new Error(`supervisor leg not answered: ${sup.outcome}`);
      const hears = (leg: string): string[] | undefined => h.hears?.(leg).sort();
      const both = [caller, agentLeg].sort();

      await h.sw.monitor(sup.legId, agentLeg, 'listen');
      await h.pass(1000);
      if (h.hears) {
        expect(hears(sup.legId)).toEqual(both);
        expect(hears(caller)).toEqual([agentLeg]);
        expect(hears(agentLeg)).toEqual([caller]);
      }
      await h.sw.monitor(sup.legId, agentLeg, 'whisper');
      await h.pass(1000);
      if (h.hears) {
        expect(hears(agentLeg)).toEqual([caller, sup.legId].sort());
        expect(hears(caller)).toEqual([agentLeg]);
      }
      await h.sw.monitor(sup.legId, agentLeg, 'barge');
      await h.pass(1000);
      if (h.hears) expect(hears(caller)).toEqual([agentLeg, sup.legId].sort());

      await h.sw.hangup(sup.legId);
      await hangupOf(sup.legId);
      await h.pass(1000);
      expect(hangups.filter((x) => x.legId === caller || x.legId === agentLeg)).toEqual([]);
      if (h.hears) expect(hears(caller)).toEqual([agentLeg]);

      // on hold: out of the conversation with music, then back
      await h.sw.unbridge(caller);
      await h.sw.startHoldMusic(caller);
      await h.pass(1500);
      if (h.hears) expect(hears(caller)).toEqual([]);
      await h.sw.bridge(caller, agentLeg);
      await h.pass(1000);
      if (h.hears) expect(hears(caller)).toEqual([agentLeg]);
      expect(hangups.filter((x) => x.legId === caller || x.legId === agentLeg)).toEqual([]);
      await peer.hangup();
      await hangupOf(caller);
      await h.sw.hangup(agentLeg);
      expect(await hangupOf(agentLeg)).toMatchObject({ by: 'local' });
    });

    test('dialling a busy phone, a phone nobody answers, and a number that does not exist', async () => {
      await h.phone('+8613900000001', 'busy');
      await h.phone('+8613900000002', 'never');
      expect(await h.sw.dial({ to: '+8613900000001', callerId: '4008001234', purpose: 'customer', ringTimeoutMs: 5000 })).toMatchObject({ outcome: 'busy', cause: 'user_busy' });
      const ringing = h.sw.dial({ to: '+8613900000002', callerId: '4008001234', purpose: 'customer', ringTimeoutMs: 5000 });
      await h.pass(5500);
      expect(await ringing).toMatchObject({ outcome: 'no_answer' });
      expect(await h.sw.dial({ to: '+8613900000009', callerId: '4008001234', purpose: 'customer', ringTimeoutMs: 5000 })).toMatchObject({ outcome: 'failed' });
    });

    test('a ringing dial can be cancelled', async () => {
      await h.phone('+8613900000003', 'never');
      const abort = new AbortController();
      const ringing = h.sw.dial({ to: '+8613900000003', callerId: '4008001234', purpose: 'customer', ringTimeoutMs: 30_000 }, abort.signal);
      await h.pass(1000);
      abort.abort();
      expect(await ringing).toMatchObject({ outcome: 'cancelled' });
    });

    test('while not accepting, new calls are refused with 503', async () => {
      h.sw.setAccepting(false);
      const peer = await h.callIn({ from: '+8613800138006', to: '4008001234' });
      expect(await peer.ended()).toEqual({ sipStatus: 503 });
      expect(offers).toHaveLength(0);
      h.sw.setAccepting(true);
    });
  });
}
