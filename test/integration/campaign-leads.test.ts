import { Readable } from 'node:stream';
import { CampaignLeads } from '../../src/dialer/campaign-leads';
import type { CallWindow, RetryRules } from '../../src/dialer/campaign-rules';
import { DoNotCall } from '../../src/dialer/dnc';
import { importLeadsCsv } from '../../src/dialer/lead-import';
import { createLogger } from '../../src/log';
import { startTestApp, type TestApp } from '../support/test-app';

/** A campaign's leads at dial time: order by grade, each lead's local window, DNC and consent checked when dialling, retries. */

const window: CallWindow = { days: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '20:00', holidays: [] };
const rules: RetryRules = { busyMs: 10 * 60_000, noAnswerMs: 2 * 3600_000, failedMs: 30 * 60_000, machine: 'next_day', maxAttempts: 3 };
const MON_0900_SH = Date.UTC(2026, 0, 5, 1, 0);

let t: TestApp;
let n = 0;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

async function campaign(csv: string) {
  const id = `c${++n}`;
  await importLeadsCsv(t.app.models, id, Readable.from([csv]), { consentAll: true });
  const ns = t.app.options.redisNamespace;
  const dnc = new DoNotCall(t.app.redis, ns);
  const leads = new CampaignLeads(t.app.redis, ns, t.app.models, dnc, { campaignId: id, listIds: [id], window, rules }, createLogger('silent'));
  await leads.load(MON_0900_SH);
  return { id, leads, dnc };
}

test('A-grade leads come first; a lead in another time zone waits for its own morning', async () => {
  const { leads } = await campaign('phone,grade,time_zone\n13800000101,C,\n13800000102,A,\n13800000103,A,Asia/Urumqi\n13800000104,B,\n');
  const order: string[] = [];
  for (let lead = await leads.next(MON_0900_SH); lead; lead = await leads.next(MON_0900_SH)) order.push(lead.phone);
  expect(order).toEqual(['+8613800000102', '+8613800000104', '+8613800000101']);
  // 09:00 in Shanghai is 07:00 in Urumqi; two hours later that lead is due.
  expect((await leads.next(MON_0900_SH + 2 * 3600_000))?.phone).toBe('+8613800000103');
});

test('among new leads of one grade, the most recently in touch come first', async () => {
  const { leads } = await campaign('phone,grade,last_contact\n13800000401,B,2025-09-01\n13800000402,B,2026-01-02\n13800000403,B,\n13800000404,B,2025-12-20\n');
  const order: string[] = [];
  for (let lead = await leads.next(MON_0900_SH); lead; lead = await leads.next(MON_0900_SH)) order.push(lead.phone.slice(-3));
  expect(order).toEqual(['402', '404', '401', '403']);
});

test('a number put on the do-not-call list after the import is not dialled; nor is one whose consent was withdrawn', async () => {
  const { leads, dnc, id } = await campaign('phone,grade\n13800000201,A\n13800000202,A\n13800000203,A\n');
  await dnc.add({ campaignId: id }, ['+8613800000201']);
  await dnc.add('global', ['+8613800000202']);
  await t.app.models.Lead.updateOne({ _id: `${id}:+8613800000203` }, { $set: { consent: false } });
  expect(await leads.next(MON_0900_SH)).toBeUndefined();
  const statuses = (await t.app.models.Lead.find({ listId: id }).lean()).map((l) => l.status);
  expect(statuses).toEqual(['dnc', 'dnc', 'dnc']);
  expect(await leads.exhausted()).toBe(true);
});

test('outcomes schedule the next attempt; max attempts end the lead; an abandoned number waits 72 h', async () => {
  const { leads } = await campaign('phone,grade\n13800000301,B\n13800000302,B\n');
  const a = await leads.next(MON_0900_SH);
  const b = await leads.next(MON_0900_SH);
  if (!a || !b) throw new Error('two leads expected');
  await leads.outcome(a, 'busy', MON_0900_SH);
  await leads.outcome(b, 'abandoned', MON_0900_SH);
  expect(await leads.next(MON_0900_SH + 9 * 60_000)).toBeUndefined();
  expect((await leads.next(MON_0900_SH + 10 * 60_000))?.leadId).toBe(a.leadId);
  expect(await leads.next(MON_0900_SH + 71 * 3600_000)).toBeUndefined(); // 08:00 on Thursday, still inside the 72 h
  const again = await leads.next(MON_0900_SH + 72 * 3600_000);
  expect(again?.leadId).toBe(b.leadId);
  // a: busy twice more → third attempt → done
  await leads.outcome(a, 'busy', MON_0900_SH + 10 * 60_000);
  const a3 = await leads.next(MON_0900_SH + 20 * 60_000);
  await leads.outcome(a3 as NonNullable<typeof a3>, 'busy', MON_0900_SH + 20 * 60_000);
  const doc = await t.app.models.Lead.findById(a.leadId).lean();
  expect(doc).toMatchObject({ status: 'done', attempts: 3, lastOutcome: 'busy' });
  expect((await t.app.models.Lead.findById(b.leadId).lean())?.nextDialAt?.getTime()).toBe(MON_0900_SH + 72 * 3600_000);
});
