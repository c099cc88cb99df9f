import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { hashPassword } from '../../src/auth/passwords';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Lead files through the manager console's doors: a GBK CSV and an XLSX uploaded, their headers and
 * sample shown, imported with a chosen mapping, progress pushed as server-sent events, bad rows
 * reported by line number in a downloadable CSV, good rows kept.
 */

let t: TestApp;
let token: string;
let bjToken: string;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.models.Store.create([
    { _id: 'sh-pudong', groupId: 'g', name: '浦东' },
    { _id: 'bj-chaoyang', groupId: 'g', name: '朝阳' },
  ]);
  await t.app.models.User.create({ username: 'um', displayName: 'um', passwordHash: await hashPassword('pw-um'), roles: ['manager'], storeIds: ['sh-pudong'] });
  await t.app.models.User.create({ username: 'um-bj', displayName: 'um-bj', passwordHash: await hashPassword('pw-um-bj'), roles: ['manager'], storeIds: ['bj-chaoyang'] });
  token = (await t.login('um', 'pw-um')).body.token as string;
  bjToken = (await t.login('um-bj', 'pw-um-bj')).body.token as string;
});
afterAll(async () => {
  await t.stop();
});

async function api(method: string, path: string, body?: unknown, as = token) {
  const res = await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${as}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & { error?: string; code?: string } };
}

async function uploadFile(bytes: Buffer, fileName: string, as = token) {
  const res = await fetch(`${t.url}/api/lead-uploads?fileName=${encodeURIComponent(fileName)}`, { method: 'POST', headers: { authorization: `Bearer ${as}`, 'content-type': 'application/octet-stream' }, body: bytes });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { uploadId: string; headers: string[]; sample: string[][]; suggested: Record<string, number> } };
}

/** Reads the server-sent progress events until the import ends. */
async function followEvents(uploadId: string): Promise<{ status: string; rows: number; total: number; accepted: number; rejectedTotal: number }[]> {
  const res = await fetch(`${t.url}/api/lead-uploads/${uploadId}/events`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text(); // the server ends the stream when the import is done
  return text
    .split('\n\n')
    .filter((b) => b.startsWith('event: progress'))
    .map((b) => JSON.parse(b.split('\ndata: ')[1] ?? '{}') as { status: string; rows: number; total: number; accepted: number; rejectedTotal: number });
}

test('a GBK CSV with one bad row: detected, mapped, imported with progress, the bad row reported with its line number', async () => {
  const lines = ['手机号码,客户姓名,意向级别,是否同意'];
  for (let i = 0; i < 600; i++) lines.push(`1390000${String(i).padStart(4, '0')},客户${i},${['A', 'B', 'C'][i % 3]},是`);
  lines.splice(301, 0, '12345,坏号码,B,是'); // line 302 of the file
  const gbk = iconv.encode(`${lines.join('\r\n')}\r\n`, 'gbk');
  expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk)).toThrow(); // really not UTF-8

  const up = await uploadFile(gbk, '战败客户.csv');
  expect(up.status).toBe(201);
  expect(up.body).toMatchObject({ format: 'csv', encoding: 'gb18030', total: 601, headers: ['手机号码', '客户姓名', '意向级别', '是否同意'] });
  expect(up.body.sample[0]).toEqual(['13900000000', '客户0', 'A', '是']);
  // 手机号码 and 客户姓名 are not names the server knows: the manager maps them
  const started = await api('POST', `/api/lead-uploads/${up.body.uploadId}/import`, { listId: 'gbk-list', storeId: 'sh-pudong', listName: 'GBK 名单', mapping: { phone: 0, name: 1, grade: 2, consent: 3 } });
  expect(started.status).toBe(202);
  const events = await followEvents(up.body.uploadId);
  expect(events.length).toBeGreaterThanOrEqual(3); // batches of 200 rows: progress while rows stream in
  const last = events[events.length - 1];
  expect(last).toMatchObject({ status: 'done', total: 601, rows: 601, accepted: 600, rejectedTotal: 1 });
  expect(events.some((e) => e.status === 'importing' && e.rows > 0 && e.rows < 601)).toBe(true);

  const leads = await api('GET', '/api/lead-lists/gbk-list/leads?q=%E5%AE%A2%E6%88%B7599');
  expect(leads.body).toMatchObject({ total: 1, leads: [{ phone: '+8613900000599', name: '客户599', grade: 'C', consent: true }] });
  expect((await api('GET', '/api/lead-lists/gbk-list/leads?grade=A&limit=1')).body.total).toBe(200);

  const csv = await fetch(`${t.url}/api/lead-uploads/${up.body.uploadId}/rejected.csv`, { headers: { authorization: `Bearer ${token}` } });
  expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
  const rows = (await csv.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
  expect(rows).toHaveLength(2);
  expect(rows[1]).toBe('302,"phone ""12345"" is not a phone number",12345,坏号码,B,是');

  // done once: a second import of the same upload is refused, and other stores do not see it
  expect((await api('POST', `/api/lead-uploads/${up.body.uploadId}/import`, { listId: 'gbk-list', mapping: { phone: 0, consent: 3 } })).status).toBe(409);
  expect((await api('GET', `/api/lead-uploads/${up.body.uploadId}`, undefined, bjToken)).status).toBe(404);
});

test('an XLSX upload: first sheet, header names suggest the mapping, numbers and dates read as text', async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('线索');
  ws.addRow(['电话', '姓名', '等级', '最后联系', '是否同意']);
  ws.addRow([13800001111, '张三', 'A', new Date('2026-10-01T00:00:00Z'), '是']);
  ws.addRow(['not-a-phone', '李四', 'B', '', '是']);
  ws.addRow(['13800002222', '王五', 'Z', '', '否']);
  ws.addRow(['13800003333', '赵六', 'C', '', '否']);
  const bytes = Buffer.from(await wb.xlsx.writeBuffer());
  const up = await uploadFile(bytes, 'leads.xlsx');
  expect(up.status).toBe(201);
  expect(up.body).toMatchObject({ format: 'xlsx', total: 4, suggested: { phone: 0, name: 1, grade: 2, lastContactAt: 3, consent: 4 } });
  const started = await api('POST', `/api/lead-uploads/${up.body.uploadId}/import`, { listId: 'xlsx-list', storeId: 'sh-pudong', mapping: up.body.suggested });
  expect(started.status).toBe(202);
  const last = (await followEvents(up.body.uploadId)).pop();
  expect(last).toMatchObject({ status: 'done', rows: 4, accepted: 2, rejectedTotal: 2 });
  const leads = await api('GET', '/api/lead-lists/xlsx-list/leads');
  expect(leads.body.leads).toEqual([
    expect.objectContaining({ phone: '+8613800001111', name: '张三', grade: 'A', lastContactAt: '2026-10-01T00:00:00.000Z', consent: true }),
    expect.objectContaining({ phone: '+8613800003333', consent: false }),
  ]);
  const csv = await (await fetch(`${t.url}/api/lead-uploads/${up.body.uploadId}/rejected.csv`, { headers: { authorization: `Bearer ${token}` } })).text();
  expect(csv).toContain('\r\n3,');
  expect(csv).toContain('\r\n4,"grade must be one of A, B, C, H, O, F",13800002222,王五,Z,,否\r\n');
});

test('bad mappings and files are refused with the one error shape', async () => {
  const up = await uploadFile(Buffer.from('a,b\n1,2\n'), 'x.csv');
  expect(up.status).toBe(201);
  const noPhone = await api('POST', `/api/lead-uploads/${up.body.uploadId}/import`, { listId: 'x', storeId: 'sh-pudong', mapping: { name: 0 } });
  expect(noPhone).toMatchObject({ status: 422, body: { code: 'invalid_request' } });
  const noConsent = await api('POST', `/api/lead-uploads/${up.body.uploadId}/import`, { listId: 'x', storeId: 'sh-pudong', mapping: { phone: 0 } });
  expect(noConsent.status).toBe(422);
  expect(noConsent.body.error).toMatch(/consent/);
  const outOfRange = await api('POST', `/api/lead-uploads/${up.body.uploadId}/import`, { listId: 'x', storeId: 'sh-pudong', mapping: { phone: 5 }, consentAll: true });
  expect(outOfRange.status).toBe(422);
  const empty = await fetch(`${t.url}/api/lead-uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(0) });
  expect(empty.status).toBe(422);
  expect(((await empty.json()) as { code: string }).code).toBe('invalid_request');
});
