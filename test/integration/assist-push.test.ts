import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seedAssistDemo } from '../../src/assist/assist-seed';
import { seedDemoOrganisation } from '../../src/seed/demo-seed';
import type { AssistPushState } from '../../src/shared/assist';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Destination push to the car (#15): through the telematics provider's webhook, by a BullMQ job that
 * is retried while the provider is down; the pushing assistant's desk is told each state.
 */

let t: TestApp;
let provider: http.Server;
let up = false;
const received: { vin: string; body: Record<string, unknown>; key: string | undefined; auth: string | undefined }[] = [];
let refused = 0;

beforeAll(async () => {
  provider = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (!up) {
        refused++;
        res.writeHead(503).end();
        return;
      }
      received.push({ vin: /\/vehicles\/([^/]+)\/destinations$/.exec(req.url ?? '')?.[1] ?? '', body: JSON.parse(raw) as Record<string, unknown>, key: req.headers['idempotency-key'] as string | undefined, auth: req.headers.authorization });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  t = await startTestApp({ assist: { provider: { url, token: 'provider-secret' }, pushBackoff: { baseMs: 100, maxMs: 300 }, pushSurviveMs: 60_000 } });
  await seedDemoOrganisation(t.app.models);
  await seedAssistDemo(t.app.models, t.app.assist.models, 'dcc-cti', t.clock.now());
  await t.app.reloadRouting();
});

afterAll(async () => {
  await t?.stop();
  await new Promise((r) => provider.close(r));
});

test('the provider is down, then up: the push is retried until delivered, the desk sees each state, the timeline has it', async () => {
  const agent = await t.agent('a1', { queueIds: ['assist-7x24'] });
  const token = (await t.login('a1', 'pw-a1')).body.token as string;
  const res = await fetch(`${t.url}/api/assist/devices/LSVAU2180N2183294/destinations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: '和平饭店', address: '上海市黄浦区南京东路 20 号', lat: 31.2406, lon: 121.4905 }),
  });
  expect(res.status).toBe(202);
  const { pushId } = (await res.json()) as { pushId: string };
  expect(await agent.next<AssistPushState>('assist:push', (s) => s.state === 'queued')).toMatchObject({ pushId, vin: 'LSVAU2180N2183294' });
  const retrying = await agent.next<AssistPushState>('assist:push', (s) => s.state === 'retrying' && s.attempts >= 2, 10_000);
  expect(retrying.error).toContain('503');
  expect(received).toHaveLength(0);
  up = true;
  const delivered = await agent.next<AssistPushState>('assist:push', (s) => s.state === 'delivered', 10_000);
  expect(delivered.attempts).toBeGreaterThanOrEqual(3);
  expect(refused).toBeGreaterThanOrEqual(2);
  expect(received).toEqual([{ vin: 'LSVAU2180N2183294', body: { label: '和平饭店', address: '上海市黄浦区南京东路 20 号', lat: 31.2406, lon: 121.4905 }, key: pushId, auth: 'Bearer provider-secret' }]);
  // the timeline note of the delivery is written just after the desk is told
  let notes: string[] = [];
  await eventually(async () => {
    notes = (await t.app.assist.models.Event.find({ vin: 'LSVAU2180N2183294', kind: 'destination' }).lean()).map((n) => String(n.note));
    return notes.includes('和平饭店: delivered');
  }, 'the delivery on the timeline');
  expect(notes).toEqual(expect.arrayContaining(['和平饭店: queued', expect.stringMatching(/^和平饭店: retrying/), '和平饭店: delivered']));
  // bad input: a latitude out of range; an unknown car
  const bad = await fetch(`${t.url}/api/assist/devices/LSVAU2180N2183294/destinations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'x', address: 'y', lat: 91, lon: 0 }) });
  expect(bad.status).toBe(400);
  const unknown = await fetch(`${t.url}/api/assist/devices/WVWZZZ1JZXW000001/destinations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'x', address: 'y', lat: 1, lon: 1 }) });
  expect(unknown.status).toBe(404);
  agent.close();
});
