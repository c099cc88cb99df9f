import { hashPassword, verifyPassword } from '../../src/auth/passwords';
import { TokenSigner } from '../../src/auth/tokens';
import { toE164 } from '../../src/crm/phone';

test.each([
  ['13800138000', '+8613800138000'],
  ['+86 138-0013-8000', '+8613800138000'],
  ['008613800138000', '+8613800138000'],
  ['8613800138000', '+8613800138000'],
  ['010-12345678', '+861012345678'],
  ['sip:+8613800138000@carrier.example;user=phone', '+8613800138000'],
  ['+14155550123', '+14155550123'],
])('%s is %s in E.164', (raw, e164) => {
  expect(toE164(raw)).toBe(e164);
});

test.each(['', 'anonymous', '12', '+1234567890123456'])('%p is not a phone number', (raw) => {
  expect(toE164(raw)).toBeUndefined();
});

test('tokens expire, and a changed token or another secret is refused', () => {
  let now = 1_000_000;
  const signer = new TokenSigner(Buffer.from('s'.repeat(32)), 60_000, () => now);
  const { token } = signer.issue('1001', 3);
  expect(signer.verify(token)).toMatchObject({ sub: '1001', gen: 3 });
  const [body, sig] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ sub: 'admin', gen: 0, exp: now + 1e9 })).toString('base64url');
  expect(signer.verify(`${forged}.${sig}`)).toBeUndefined();
  expect(new TokenSigner(Buffer.from('t'.repeat(32)), 60_000, () => now).verify(token)).toBeUndefined();
  expect(signer.verify(`${body}`)).toBeUndefined();
  now += 60_001;
  expect(signer.verify(token)).toBeUndefined();
});

test('passwords are stored salted and verified', async () => {
  const a = await hashPassword('demo1001');
  const b = await hashPassword('demo1001');
  expect(a).not.toBe(b);
  expect(a).not.toContain('demo1001');
  expect(await verifyPassword('demo1001', a)).toBe(true);
  expect(await verifyPassword('demo1002', a)).toBe(false);
});
