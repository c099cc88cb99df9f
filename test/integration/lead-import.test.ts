import { Readable } from 'node:stream';
import { hashPassword } from '../../src/auth/passwords';
import { importLeadsCsv } from '../../src/dialer/lead-import';
import { startTestApp, type TestApp } from '../support/test-app';

/** Defeated-lead lists from CSV: good rows in, bad rows reported by line, duplicates merged, nothing lost. */

let t: TestApp;
let token: string;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.models.User.create({ username: 'lm', displayName: 'lm', passwordHash: await hashPassword('pw-lm'), roles: ['manager'], storeIds: ['sh-pudong'] });
  token = (await t.login('lm', 'pw-lm')).body.token as string;
});
afterAll(async () => {
  await t.stop();
});

async function upload(listId: string, csv: string, type = 'text/csv; charset=utf-8') {
  const res = await fetch(`${t.url}/api/lead-lists/${listId}/import`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${token}` }, body: csv });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { rejected: { line: number; reason: string }[]; error?: string } };
}

test('a CSV with broken rows: good rows imported, each bad row reported with its line, duplicates merged', async () => {
  const csv = [
    '电话,姓名,等级,战败原因,门店,顾问,最后联系,时区,同意',
    '13800000001,张三,B,价格,sh-pudong,gu1,2026-10-01,Asia/Shanghai,是',
    '138-0000-0002,李四,a,等新款,sh-pudong,gu1,2026-10-02,,',
    'not-a-phone,王五,C,,,,,,',
    '13800000003,赵六,Z,,,,,,',
    '13800000004,钱七,C,,,,yesterday,,',
    '"+86 138 0000 0001",张三丰,,,,,,,',
    '13800000005,孙八,C,,,,,Mars/Base,',
    '13800000006,周九,C,,,,,,maybe',
    '',
    '13800000007,吴十,H,"报价高, 竞品便宜",sh-pudong,,,Asia/Urumqi,no',
  ].join('\n');
  const { status, body } = await upload('defeated-2026q4', csv);
  expect(status).toBe(200);
  expect(body).toMatchObject({ rows: 9, accepted: 3, mergedInFile: 1, rejectedTotal: 5 });
  expect(body.rejected).toEqual([
    { line: 4, reason: 'phone "not-a-phone" is not a phone number' },
    { line: 5, reason: 'grade must be one of A, B, C, H, O, F' },
    { line: 6, reason: 'last contact is not a date (use YYYY-MM-DD)' },
    { line: 8, reason: 'time zone is not an IANA zone such as Asia/Shanghai' },
    { line: 9, reason: 'consent must be yes or no' },
  ]);
  const leads = await t.app.models.Lead.find({ listId: 'defeated-2026q4' }).sort({ phone: 1 }).lean();
  expect(leads.map((l) => l.phone)).toEqual(['+8613800000001', '+8613800000002', '+8613800000007']);
  // The duplicate merged: the later name wins, the earlier grade stays.
  expect(leads[0]).toMatchObject({ name: '张三丰', grade: 'B', defeatReason: '价格', consent: true, status: 'new', attempts: 0 });
  expect(leads[1]).toMatchObject({ grade: 'A', timeZone: 'Asia/Shanghai' });
  expect(leads[2]).toMatchObject({ defeatReason: '报价高, 竞品便宜', timeZone: 'Asia/Urumqi', consent: false });
});

test('importing again merges into the same leads instead of duplicating them', async () => {
  await upload('relist', 'phone,name,grade\n13900000001,A1,C\n13900000002,A2,C\n');
  const { body } = await upload('relist', 'phone,grade\n13900000001,A\n');
  expect(body).toMatchObject({ accepted: 1, rejectedTotal: 0 });
  const leads = await t.app.models.Lead.find({ listId: 'relist' }).sort({ phone: 1 }).lean();
  expect(leads.map((l) => [l.name, l.grade])).toEqual([
    ['A1', 'A'],
    ['A2', 'C'],
  ]);
});

test('a file without a phone column, an empty file, or the wrong content type is refused with a reason', async () => {
  expect((await upload('x', 'name,grade\n张三,A\n')).body.error).toContain('the header has no phone column');
  expect((await upload('x', '')).body.error).toContain('the file is empty');
  expect((await upload('x', 'phone\n1\n', 'text/plain')).status).toBe(415);
  expect((await upload('Bad List', 'phone\n13800000001\n')).body.error).toContain('listId');
});

test('a large list streams through in batches (5,000 rows, every 100th broken)', async () => {
  const lines = ['phone,name,grade'];
  for (let i = 0; i < 5000; i++) lines.push(i % 100 === 99 ? `bad${i},x,A` : `1370${String(i).padStart(7, '0')},客户${i},${'ABC'[i % 3]}`);
  const report = await importLeadsCsv(t.app.models, 'big', Readable.from([lines.join('\n')]), { consentAll: true });
  expect(report).toMatchObject({ rows: 5000, accepted: 4950, rejectedTotal: 50 });
  expect(report.rejected[0]).toEqual({ line: 101, reason: 'phone "bad99" is not a phone number' });
  expect(await t.app.models.Lead.countDocuments({ listId: 'big' })).toBe(4950);
}, 120_000);

test('defeated customers of the CRM become leads with their grade, defeat reason, store, consultant and last contact', async () => {
  const at = new Date('2026-10-20T10:00:00+08:00');
  await t.app.models.Customer.create([
    { name: '战败A', phones: ['+8613300000001'], status: 'defeated', grade: 'A', defeatReason: '价格', owningStoreId: 'sh-pudong', owningUser: 'gu1', funnel: [{ at, kind: 'defeat' }] },
    { name: '战败C', phones: ['+8613300000002'], status: 'defeated', grade: 'C', owningStoreId: 'bj-chaoyang' },
    { name: '已成交', phones: ['+8613300000003'], status: 'customer', grade: 'A' },
  ]);
  const res = await fetch(`${t.url}/api/lead-lists/crm-q4/import-crm`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ storeIds: ['sh-pudong'] }) });
  expect(await res.json()).toEqual({ listId: 'crm-q4', accepted: 1 });
  expect(await t.app.models.Lead.findById('crm-q4:+8613300000001').lean()).toMatchObject({ name: '战败A', grade: 'A', defeatReason: '价格', storeId: 'sh-pudong', consultant: 'gu1', lastContactAt: at, status: 'new' });
  const bad = await fetch(`${t.url}/api/lead-lists/crm-q4/import-crm`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ grades: ['Z'] }) });
  expect(bad.status).toBe(400);
});
