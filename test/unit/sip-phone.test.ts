import { SipPhone } from '../support/sip-phone';

/** The test phone used against the real stack, checked against itself: a call, keys, hang-up, busy, cancel. */

let a: SipPhone;
let b: SipPhone;
beforeEach(async () => {
  a = await SipPhone.start();
  b = await SipPhone.start();
});
afterEach(async () => {
  await a.close();
  await b.close();
});

test('a call is answered, carries audio both ways, and ends with a BYE the other side sees', async () => {
  b.behave('100', 'answer');
  const call = await a.call({ host: '127.0.0.1', port: b.port }, '+8613800138000', '100', { 'X-Vehicle-VIN': 'LSVAU2180N2183294' });
  await call.answered();
  const far = b.incoming[0];
  expect(far?.state).toBe('up');
  await call.sendDigits('1#');
  await new Promise((r) => setTimeout(r, 200));
  expect(far!.rtpReceived).toBeGreaterThan(5);
  expect(call.rtpReceived).toBeGreaterThan(5);
  await call.hangup();
  expect(await far!.ended()).toEqual({ sipStatus: 200 });
});

test('a busy phone and an unknown number end the call with their status; a ringing call can be cancelled', async () => {
  b.behave('200', 'busy');
  b.behave('300', 'never');
  expect(await (await a.call({ host: '127.0.0.1', port: b.port }, '1', '200')).ended()).toEqual({ sipStatus: 486 });
  expect(await (await a.call({ host: '127.0.0.1', port: b.port }, '1', '999')).ended()).toEqual({ sipStatus: 404 });
  const ringing = await a.call({ host: '127.0.0.1', port: b.port }, '1', '300');
  await new Promise((r) => setTimeout(r, 200));
  expect(ringing.state).toBe('ringing');
  await ringing.hangup();
  expect(await ringing.ended()).toEqual({ sipStatus: 487 });
});
