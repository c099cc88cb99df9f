/**
 * Phone numbers to E.164 with China (+86) as the default country.
 * Accepts what carriers and people send: +8613800138000, 008613800138000, 8613800138000,
 * 13800138000, 010-12345678 (Beijing landline), sip:+86...@host.
 */
export function toE164(raw: string, defaultCountry = '86'): string | undefined {
  let s = raw.trim();
  const sip = /^sips?:([^@;]+)/i.exec(s);
  if (sip?.[1]) s = sip[1];
  const plus = s.startsWith('+');
  const digits = s.replace(/[^0-9]/g, '');
  if (digits.length === 0) return undefined;
  let e164: string;
  if (plus) e164 = digits;
  else if (digits.startsWith('00')) e164 = digits.slice(2);
  else if (defaultCountry === '86' && /^1[3-9]\d{9}$/.test(digits)) e164 = `86${digits}`;
  else if (digits.startsWith(defaultCountry) && digits.length >= 11) e164 = digits;
  else if (digits.startsWith('0')) e164 = `${defaultCountry}${digits.slice(1)}`;
  else e164 = `${defaultCountry}${digits}`;
  if (e164.length < 8 || e164.length > 15) return undefined;
  return `+${e164}`;
}
