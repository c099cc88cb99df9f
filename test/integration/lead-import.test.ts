import { Readable } from 'node:stream';
import { hashPassword } from '../../src/auth/passwords';
import { importLeadsCsv } from '../../src/dialer/lead-import';
import { startTestApp, type TestApp } from '../support/test-app';

/** Defeated-lead lists from CSV: good rows in, bad rows reported by line, duplicates merged, nothing lost. */

let t: TestApp;
let token: string;
let bjToken: string;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.models.Store.create([
    { _id: 'sh-pudong', groupId: 'g', name: '浦东' },
    { _id: 'bj-chaoyang', groupId: 'g', name: '朝阳' },
  ]);
  await t.app.models.User.create({ username: 'lm', displayName: 'lm', passwordHash: await hashPassword('pw-lm'), roles: ['manager'], storeIds: ['sh-pudong'] });
  await t.app.models.User.create({ username: 'lm-bj', displayName: 'lm-bj', passwordHash: await hashPassword('pw-lm-bj'), roles: ['manager'], storeIds: ['bj-chaoyang'] });
  token = (await t.login('lm', 'pw-lm')).body.token as string;
  bjToken = (await t.login('lm-bj', 'pw-lm-bj')).body.token as string;
});
afterAll(async () => {
  await t.stop();
});

/** Uploads a CSV into a list (created in sh-pudong when new) as the sh-pudong manager, or as `as`. */
async function upload(listId: string, csv: string, o: { type?: string; query?: string; as?: string } = {}) {
  const query = o.query ?? 'storeId=sh-pudong';
  const res = await fetch(`${t.url}/api/lead-lists/${listId}/import?${query}`, { method: 'POST', headers: { 'content-type': o.type ?? 'text/csv; charset=utf-8', authorization: `Bearer ${o.as ?? token}` }, body: csv });
  const text = await res.text();
  return { status: res.status, length: text.length, body: JSON.parse(text) as Record<string, unknown> & { rejected: { line: number; reason: string }[]; error?: string; code?: string } };
}

async function crmImport(listId: string, body: unknown, query = 'storeId=sh-pudong', as = token) {
  const res = await fetch(`${t.url}/api/lead-lists/${listId}/import-crm?${query}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(path: string, as = token) {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${as}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: string } };
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
  await upload('relist', 'phone,name,grade\n13900000001,A1,C\n13900000002,A2,C\n', { query: 'storeId=sh-pudong&consent=all' });
  const { body } = await upload('relist', 'phone,grade\n13900000001,A\n', { query: 'consent=all' });
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
  expect((await upload('x', 'phone\n1\n', { type: 'text/plain' })).status).toBe(415);
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
  expect(await crmImport('crm-q4', { storeIds: ['sh-pudong'] })).toEqual({ status: 200, body: { listId: 'crm-q4', accepted: 1 } });
  expect(await t.app.models.Lead.findById('crm-q4:+8613300000001').lean()).toMatchObject({ name: '战败A', grade: 'A', defeatReason: '价格', storeId: 'sh-pudong', consultant: 'gu1', lastContactAt: at, status: 'new' });
  expect((await crmImport('crm-q4', { grades: ['Z'] })).status).toBe(400);
});

test("a manager imports only into lists of their own stores; a new list needs its store; the lists and their leads are listed per store", async () => {
  // another store's list: not found for this manager, by CSV or CRM import
  expect((await upload('bj-list', 'phone,consent\n13800001001,yes\n', { query: 'storeId=bj-chaoyang', as: bjToken })).status).toBe(200);
  expect(await upload('bj-list', 'phone,consent\n13800001002,yes\n', { query: '' })).toMatchObject({ status: 404, body: { code: 'not_found', error: 'no lead list bj-list in your stores' } });
  expect(await crmImport('bj-list', {}, '')).toMatchObject({ status: 404, body: { code: 'not_found' } });
  expect(await t.app.models.Lead.countDocuments({ listId: 'bj-list' })).toBe(1);
  // a new list: its store must be named, and be one of the caller's
  expect(await upload('new-list', 'phone,consent\n13800001003,yes\n', { query: '' })).toMatchObject({ status: 404, body: { error: 'no lead list new-list: to create it, name its store (?storeId=)' } });
  expect(await upload('new-list', 'phone,consent\n13800001003,yes\n', { query: 'storeId=bj-chaoyang' })).toMatchObject({ status: 422, body: { error: 'storeId: no store bj-chaoyang in your stores' } });
  expect((await upload('new-list', 'phone,consent\n13800001003,yes\n13800001004,no\n', { query: 'storeId=sh-pudong&name=十月战败' })).status).toBe(200);
  expect(await upload('new-list', 'phone,consent\n13800001005,yes\n', { query: 'storeId=bj-chaoyang' })).toMatchObject({ status: 409, body: { code: 'conflict' } });

  const lists = (await get('/api/lead-lists')).body as unknown as { listId: string; name: string; storeId: string; createdBy: string; leads: number }[];
  expect(lists.find((l) => l.listId === 'new-list')).toMatchObject({ name: '十月战败', storeId: 'sh-pudong', createdBy: 'lm', leads: 2 });
  expect(lists.map((l) => l.listId)).not.toContain('bj-list');
  expect(((await get('/api/lead-lists', bjToken)).body as unknown as { listId: string }[]).map((l) => l.listId)).toEqual(['bj-list']);

  const page1 = await get('/api/lead-lists/new-list/leads?limit=1');
  expect(page1.body).toMatchObject({ listId: 'new-list', total: 2, page: 1, limit: 1, leads: [{ phone: '+8613800001003', consent: true, status: 'new' }] });
  expect((await get('/api/lead-lists/new-list/leads?limit=1&page=2')).body).toMatchObject({ leads: [{ phone: '+8613800001004', consent: false }] });
  expect((await get('/api/lead-lists/new-list/leads', bjToken)).status).toBe(404);
});

test("CRM import takes only defeated customers of the list's store, and gives consent only where the customer's record says so", async () => {
  await t.app.models.Customer.create([
    { name: '同意', phones: ['+8613300001001'], status: 'defeated', grade: 'B', owningStoreId: 'sh-pudong', consent: { call: true, at: new Date('2026-09-01'), source: 'showroom form' } },
    { name: '未问', phones: ['+8613300001002'], status: 'defeated', grade: 'B', owningStoreId: 'sh-pudong' },
    { name: '拒绝', phones: ['+8613300001003'], status: 'defeated', grade: 'B', owningStoreId: 'sh-pudong', consent: { call: false, at: new Date('2026-09-01'), source: 'phone' } },
    { name: '别店', phones: ['+8613300001004'], status: 'defeated', grade: 'B', owningStoreId: 'bj-chaoyang', consent: { call: true } },
  ]);
  // asking for another store's customers brings none of them
  expect(await crmImport('crm-consent', { storeIds: ['bj-chaoyang'] })).toEqual({ status: 200, body: { listId: 'crm-consent', accepted: 0 } });
  expect((await crmImport('crm-consent', {})).status).toBe(200);
  const leads = await t.app.models.Lead.find({ listId: 'crm-consent' }).lean();
  const byName = Object.fromEntries(leads.map((l) => [l.name, l.consent]));
  expect(byName).toMatchObject({ 同意: true, 未问: false, 拒绝: false });
  expect(byName).not.toHaveProperty('别店');
  expect(leads.every((l) => l.storeId === 'sh-pudong')).toBe(true);
});

test('a CSV without a consent column is refused unless the manager attests consent for every row; the column is honoured row by row', async () => {
  const refused = await upload('consent-list', 'phone,name\n13800002001,甲\n');
  expect(refused).toMatchObject({ status: 422, body: { code: 'invalid_request' } });
  expect(refused.body.error).toContain('the file has no consent column (是否同意 / consent');
  expect(await t.app.models.Lead.countDocuments({ listId: 'consent-list' })).toBe(0);

  expect((await upload('consent-list', 'phone,name\n13800002001,甲\n', { query: 'consent=all' })).status).toBe(200);
  expect((await upload('consent-list', '电话,是否同意\n13800002002,是\n13800002003,否\n13800002004,1\n13800002005,0\n13800002006,\n')).body).toMatchObject({ accepted: 5 });
  const consent = Object.fromEntries((await t.app.models.Lead.find({ listId: 'consent-list' }).lean()).map((l) => [l.phone, l.consent]));
  expect(consent).toEqual({ '+8613800002001': true, '+8613800002002': true, '+8613800002003': false, '+8613800002004': true, '+8613800002005': false, '+8613800002006': false });
});

test('a huge header is not echoed back: the error body stays small', async () => {
  const header = `${'名'.repeat(1_000_000)},x,y`;
  const r = await upload('huge', `${header}\n13800003001,a,b\n`, { query: 'storeId=sh-pudong&consent=all' });
  expect(r.status).toBe(422);
  expect(r.length).toBeLessThan(1000);
  expect(r.body.code).toBe('invalid_request');
  const wide = Array.from({ length: 5000 }, (_, i) => `column${i}`).join(',');
  const r2 = await upload('huge', `${wide}\n`, { query: 'storeId=sh-pudong&consent=all' });
  expect(r2).toMatchObject({ status: 422, body: { error: expect.stringContaining('the header has no phone column') } });
  expect(r2.length).toBeLessThan(1000);
});
