import { VirtualClock } from '../../src/clock/virtual-clock';
import { SimSwitch } from '../../src/telephony/sim/sim-switch';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import { describeSwitchContract, type PeerCall } from './switch-contract';

function peerOf(party: SimParty): PeerCall {
  return {
    answered: () => party.until('answered'),
    ended: async () => {
      await party.until('ended');
      return { sipStatus: party.sipStatus ?? 0 };
    },
    sendDigits: (digits) => {
      party.sendDigits(digits).catch((err: unknown) => console.error('sending keys failed', err));
      return Promise.resolve();
    },
    hangup: async () => party.hangup(),
  };
}

describeSwitchContract('simulated switch', async () => {
  const clock = new VirtualClock();
  const sw = new SimSwitch({ clock });
  await sw.start();
  return {
    sw,
    callIn: async (call) => peerOf(sw.placeCall(call)),
    phone: async (address, behaviour) =>
      sw.registerEndpoint(address, behaviour === 'answer' ? { answer: 'auto', afterMs: 500 } : behaviour === 'busy' ? { answer: 'busy' } : { answer: 'never' }),
    hears: (legId) => sw.hears(legId),
    pass: (ms) => clock.advance(ms),
    close: () => sw.stop(),
  };
});
