import { describeSwitchContract } from '../contract/switch-contract';
import { realStackEnv, realStackHarness } from './realstack-env';

/** The Switch contract, on drachtio-server + FreeSWITCH, with SIP phones on the wire as the far ends. */

const env = realStackEnv();

describeSwitchContract('drachtio-server + FreeSWITCH', async () => {
  const { harness } = await realStackHarness(env, 'realstack-contract');
  return harness;
});
