import fs from 'node:fs';
import path from 'node:path';
import { seedAssistDemo } from '../../src/assist/assist-seed';
import { hashPassword } from '../../src/auth/passwords';
import { seedDemoOrganisation } from '../../src/seed/demo-seed';
import type { InCarPop } from '../../src/shared/assist';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import { AgentClient } from '../support/agent-client';
import * as steps from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The one-touch in-car assistant (#15) on the simulated switch: devices over REST, presses by SIP
 * (MSD body part or simple headers) and by HTTP (called back), priorities, overflow, the crash
 * escalation, MSD updates by SIP INFO, and refusals.
 */

const MSD = (JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/assist/msd-vectors.json'), 'utf8')) as { scenarios: Record<string, string> }).scenarios;
const ZHANG = 'LSVAU2180N2183294';
const LI = 'LFV3A28K8P3012345';
const WANG = 'LHGCV1658K8041234';
const cid = 'msd-1@car.example';

interface Pop {
  callId: string;
  queueId: string;
  source: string;
  inCar?: InCarPop;
}

let t: TestApp;

beforeEach(async () => {
  t = await startTestApp({ offerTimeoutMs: 15_000, wrapUpMs: 30_000 });
  await seedDemoOrganisation(t.app.models);
  await seedAssistDemo(t.app.models, t.app.assist.models, 'dcc-cti', t.clock.now());
  await t.app.assist.loadSites();
  await t.app.reloadRouting();
});

afterEach(async () => {
  await t.stop();
});

const assistant = (name: string, queueIds = ['assist-7x24']) => steps.readyAgent(t, name, { queueIds });

function msdCall(vin: string, hex: string, extra: Record<string, string> = {}): SimParty {
  return t.sw.placeCall({
    from: `sip:${vin}@car.example`,
    to: '4008009999',
    source: 'vehicle',
    headers: { 'X-Vehicle-VIN': vin, 'Call-Info': `<cid:${cid}>;purpose=EmergencyCallData.eCall.MSD`, ...extra },
    bodyParts: [{ contentType: 'application/emergencyCallData.eCall.MSD', contentId: cid, body: Buffer.from(hex, 'hex') }],
  });
}

function headerCall(vin: string, h: Record<string, string>): SimParty {
  return t.sw.placeCall({ from: `sip:${vin}@car.example`, to: '4008009999', source: 'vehicle', headers: { 'X-Vehicle-VIN': vin, ...h } });
}

async function adminToken(): Promise<string> {
  await t.app.models.User.create({ username: 'root', displayName: 'Root', passwordHash: await hashPassword('pw-root'), roles: ['admin'], storeIds: [] });
  return (await t.login('root', 'pw-root')).body.token as string;
}

async function api(method: string, p: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.url}${p}`, { method: method.toUpperCase(), headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('an automatic crash with an NG eCall MSD reaches the assistant with the driver pop: member, car, position, nearest stores', async () => {
  const agent = await assistant('a1');
  const car = msdCall(ZHANG, MSD.crashShanghai as string);
  const offer = await agent.next<Pop>('call:offer');
  expect(car.heard).not.toContain('prompt:welcome'); // no IVR, no greeting
  expect(offer.queueId).toBe('assist-7x24');
  expect(offer.source).toBe('vehicle');
  const p = offer.inCar as InCarPop;
  expect(p).toMatchObject({ vin: ZHANG, eventType: 'crash', activation: 'automatic', way: 'sip', faults: [], passengers: 2, headingDeg: 90 });
  expect(p.position?.lat).toBeCloseTo(31.2135, 4);
  expect(p.position?.lon).toBeCloseTo(121.4989, 4);
  expect(p.msd?.recentPositions).toHaveLength(2);
  expect(p.member).toMatchObject({ name: '张伟', level: '金卡', points: 12_800, emergencyContact: { phone: '+8613900139000' } });
  expect(p.vehicle).toMatchObject({ plate: '沪A·D2918' });
  expect(p.dealer).toMatchObject({ storeId: 'sh-pudong', storeName: '浦东 4S 店', consultant: '1001' });
  expect(p.nearestStores.map((s) => s.storeId).slice(0, 3)).toEqual(['sh-pudong', 'sh-minhang', 'sh-jiading']);
  expect(p.nearestStores[0]?.distanceKm).toBeGreaterThan(3);
  expect(p.nearestStores[0]?.distanceKm).toBeLessThan(6);
  expect(p.savedAddresses.map((a) => a.label)).toEqual(['家', '公司']);
  expect(p.reminders[0]?.text).toContain('保养');
  await steps.acceptAndConnect(t, agent, offer.callId);
  expect(t.sw.bridgedTo(car.legId)).toBeDefined();
  // The car sends an updated MSD (SIP INFO): the assistant sees the new position.
  t.sw.sendInfo(car.legId, [{ contentType: 'application/emergencyCallData.eCall.MSD', contentId: cid, body: Buffer.from(MSD.crashShanghaiUpdate as string, 'hex') }], { 'Call-Info': `<cid:${cid}>;purpose=EmergencyCallData.eCall.MSD` });
  const upd = await agent.next<{ callId: string; inCar: InCarPop }>('assist:update');
  expect(upd.callId).toBe(offer.callId);
  expect(upd.inCar.position?.lat).toBeCloseTo(31.214, 4);
  expect(upd.inCar.msd?.messageIdentifier).toBe(2);
  const timeline = await eventually(async () => {
    const ev = await t.app.assist.models.Event.find({ vin: ZHANG }).sort({ at: 1 }).lean();
    return ev.length >= 3 ? ev : undefined;
  }, 'the timeline entries');
  expect(timeline.map((e) => e.kind)).toEqual(['press', 'answered', 'msd_update']);
  car.hangup();
});

test('priorities: a waiting automatic crash is offered before earlier concierge, roadside and theft presses', async () => {
  const c1 = headerCall(WANG, { 'X-Vehicle-Event': 'concierge' });
  const c2 = headerCall(LI, { 'X-Vehicle-Event': 'roadside', 'X-Vehicle-Lat': '31.3', 'X-Vehicle-Lon': '121.3' });
  await t.clock.advance(1000);
  const c3 = headerCall(WANG, { 'X-Vehicle-Event': 'theft' });
  await t.clock.advance(1000);
  const c4 = msdCall(ZHANG, MSD.crashShanghai as string);
  await eventually(async () => (await t.app.queues.waitingCount('assist-7x24')) === 4, 'four presses waiting');
  const agent = await assistant('a1');
  const byType: Record<string, SimParty> = { concierge: c1, roadside: c2, theft: c3, crash: c4 };
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const offer = await agent.next<Pop>('call:offer');
    order.push(`${offer.inCar?.eventType}/${offer.inCar?.activation}`);
    byType[offer.inCar?.eventType as string]?.hangup(); // the driver gives up: the next press comes
    await agent.next('call:offer_withdrawn');
  }
  expect(order).toEqual(['crash/automatic', 'theft/manual', 'roadside/manual', 'concierge/manual']);
});

test('nobody answers an automatic crash: after the set time supervisors are alerted, the emergency contact is called with the notice, all on the timeline', async () => {
  await t.app.models.User.create({ username: 'sup', displayName: 'Sup', passwordHash: await hashPassword('pw-sup'), roles: ['supervisor'], storeIds: ['sh-pudong'] });
  const board = await AgentClient.connect(t.url, (await t.login('sup', 'pw-sup')).body.token as string, 'board');
  let contact: SimParty | undefined;
  t.sw.registerEndpoint('+8613900139000', { answer: 'manual', onRing: (p) => { contact = p; p.answer(); } });
  const car = msdCall(ZHANG, MSD.crashShanghai as string);
  await steps.armed(t, 'escalate');
  await t.clock.advance(29_000);
  expect(board.received.some((r) => r.event === 'assist:alert')).toBe(false);
  await t.clock.advance(1_000);
  const alert = await board.next<{ vin: string; waitedMs: number; emergencyContact: string }>('assist:alert');
  expect(alert).toMatchObject({ vin: ZHANG, emergencyContact: '+8613900139000' });
  expect(alert.waitedMs).toBeGreaterThanOrEqual(30_000);
  await eventually(() => contact?.heard.includes('prompt:assist_crash_notice') === true, 'the notice played to the emergency contact');
  await t.clock.advance(3000);
  const kinds = await eventually(async () => {
    const ev = (await t.app.assist.models.Event.find({ vin: ZHANG }).lean()).map((e) => e.kind);
    return ev.includes('emergency_contact') ? ev : undefined;
  }, 'the escalation on the timeline');
  expect(kinds).toEqual(expect.arrayContaining(['press', 'escalated', 'emergency_contact']));
  // Still waiting for an assistant: the next one who is ready gets it, marked as escalated.
  const agent = await assistant('a1');
  const offer = await agent.next<Pop>('call:offer');
  expect(offer.inCar?.escalated).toBe(true);
  car.hangup();
  board.socket.close();
});

test('no assistant in the 7x24 queue for the set wait: the press overflows to the backup team', async () => {
  const backup = await assistant('b1', ['assist-backup']);
  const car = headerCall(LI, { 'X-Vehicle-Event': 'roadside' });
  await steps.armed(t, 'max-wait');
  await t.clock.advance(60_000);
  const offer = await backup.next<Pop>('call:offer');
  expect(offer.queueId).toBe('assist-backup');
  expect(offer.inCar?.eventType).toBe('roadside');
  car.hangup();
});

test('malformed MSD and unusable coordinates: the call still reaches an assistant, with the faults shown', async () => {
  const agent = await assistant('a1');
  const broken = msdCall(ZHANG, (MSD.crashShanghai as string).slice(0, 20));
  const o1 = await agent.next<Pop>('call:offer');
  expect(o1.inCar?.faults).toEqual([expect.stringMatching(/^MSD not readable: the data ends too early/)]);
  expect(o1.inCar?.position).toBeNull();
  expect(o1.inCar?.member?.name).toBe('张伟'); // known from the VIN header all the same
  broken.hangup();
  await agent.next('call:offer_withdrawn');
  await agent.state('ready');
  const bad = headerCall(WANG, { 'X-Vehicle-Event': 'roadside', 'X-Vehicle-Lat': '95.2', 'X-Vehicle-Lon': 'east', 'X-Vehicle-Speed': '60' });
  const o2 = await agent.next<Pop>('call:offer');
  expect(o2.inCar).toMatchObject({ eventType: 'roadside', position: null, speedKmh: 60 });
  expect(o2.inCar?.faults).toEqual(['position not usable: latitude "95.2", longitude "east"']);
  bad.hangup();
});

test('devices over REST: register, press over HTTP and be called back, disable (SIP 403, HTTP 403), rotate (old token 401), unknown VIN 403', async () => {
  const admin = await adminToken();
  expect((await api('post', '/api/assist/members', admin, { memberId: 'm-chen', name: '陈晨', storeId: 'sh-pudong', level: '银卡', points: 3000, phones: ['+8613100131000'] })).status).toBe(200);
  const reg = await api('post', '/api/assist/devices', admin, { vin: 'LSGKB54H8NV123456', memberId: 'm-chen', storeId: 'sh-pudong', model: '君越', plate: '沪C·12345' });
  expect(reg.status).toBe(201);
  const creds = reg.body.credentials as { sipSecret: string; httpToken: string };
  expect(creds.httpToken).toMatch(/^LSGKB54H8NV123456\./);
  expect((await api('post', '/api/assist/devices', admin, { vin: 'LSGKB54H8NV123456', memberId: 'm-chen', storeId: 'sh-pudong' })).status).toBe(409);
  expect((await api('post', '/api/assist/devices', admin, { vin: 'LSGKB54H8NV12345I', memberId: 'm-chen', storeId: 'sh-pudong' })).status).toBe(400);
  expect((await api('post', '/api/assist/devices', admin, { vin: 'LSGKB54H8NV654321', memberId: 'nobody', storeId: 'sh-pudong' })).status).toBe(422);
  const agentOnly = await t.agent('a9', { queueIds: [] });
  agentOnly.close();
  expect((await api('get', '/api/assist/devices', (await t.login('a9', 'pw-a9')).body.token as string)).status).toBe(403);

  // The car posts a press; the assistant is connected first, then the car is called back.
  let carLeg: SimParty | undefined;
  t.sw.registerEndpoint('vehicle:LSGKB54H8NV123456', { answer: 'manual', onRing: (p) => { carLeg = p; p.answer(); } });
  const agent = await assistant('a1');
  const press = await api('post', '/api/assist/events', creds.httpToken, { event: 'concierge', lat: 31.23, lon: 121.47, speed: 0 });
  expect(press.status).toBe(202);
  const offer = await agent.next<Pop>('call:offer');
  expect(offer.callId).toBe(press.body.callId);
  expect(offer.inCar).toMatchObject({ vin: 'LSGKB54H8NV123456', way: 'callback', eventType: 'concierge', member: { name: '陈晨' }, vehicle: { plate: '沪C·12345' } });
  expect(await agent.send('call:accept', { callId: offer.callId })).toEqual({ ok: true });
  await steps.armed(t, 'auto-answer');
  await t.clock.advance(300);
  await eventually(() => carLeg !== undefined, 'the car to be called back');
  await agent.next('call:connected');
  expect(t.sw.bridgedTo(carLeg?.legId as string)).toBeDefined();
  carLeg?.hangup();

  // Disabled: refused both ways.
  expect((await api('patch', '/api/assist/devices/LSGKB54H8NV123456', admin, { enabled: false })).body).toMatchObject({ enabled: false });
  expect(await api('post', '/api/assist/events', creds.httpToken, { event: 'roadside' })).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  const refused = headerCall('LSGKB54H8NV123456', { 'X-Vehicle-Event': 'roadside' });
  await eventually(() => refused.sipStatus === 403, 'SIP 403 for the disabled car');
  expect((await api('patch', '/api/assist/devices/LSGKB54H8NV123456', admin, { enabled: true })).status).toBe(200);

  // Rotated: the old token stops working, the new one works.
  const rot = await api('post', '/api/assist/devices/LSGKB54H8NV123456/rotate', admin);
  expect(rot.status).toBe(200);
  expect((await api('post', '/api/assist/events', creds.httpToken, { event: 'roadside' })).status).toBe(401);
  expect((await api('post', '/api/assist/events', undefined, { event: 'roadside' })).status).toBe(401);
  expect((await api('post', '/api/assist/events', rot.body.httpToken as string, { event: 'roadside' })).status).toBe(202);

  // Unknown VIN on a call: 403.
  const stranger = headerCall('WVWZZZ1JZXW000001', { 'X-Vehicle-Event': 'concierge' });
  await eventually(() => stranger.sipStatus === 403, 'SIP 403 for an unknown car');

  const doc = await (await fetch(`${t.url}/api/docs/openapi.json`)).json() as { paths: Record<string, unknown> };
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/assist/devices', '/api/assist/devices/{vin}', '/api/assist/devices/{vin}/rotate', '/api/assist/events', '/api/assist/members']));
});

test('concierge: the assistant dials the hotel while the driver holds, joins all three (everyone hears everyone), then hands the driver over and drops', async () => {
  const agent = await assistant('a1');
  const car = headerCall(LI, { 'X-Vehicle-Event': 'concierge' });
  const offer = await agent.next<Pop>('call:offer');
  await steps.acceptAndConnect(t, agent, offer.callId);
  const driver = car.legId;
  const agentLeg = t.sw.bridgedTo(driver) as string;
  let hotel: SimParty | undefined;
  t.sw.registerEndpoint('+862162881234', { answer: 'manual', onRing: (p) => { hotel = p; p.answer(); } });
  expect(await agent.send('call:transfer', { callId: offer.callId, to: { number: '02162881234' }, mode: 'consult' })).toEqual({ ok: true });
  await agent.next('call:transfer_state', (s: { state: string }) => s.state === 'consulting');
  const hotelLeg = hotel?.legId as string;
  // consulting: the assistant and the hotel talk; the driver hears hold music
  expect(t.sw.hears(agentLeg)).toEqual([hotelLeg]);
  expect(t.sw.hears(driver)).toEqual([]);
  expect(t.sw.isHearingHoldMusic(driver)).toBe(true);
  expect(await agent.send('call:transfer_join', { callId: offer.callId })).toEqual({ ok: true });
  await agent.next('call:transfer_state', (s: { state: string }) => s.state === 'joined');
  expect(new Set(t.sw.hears(driver))).toEqual(new Set([agentLeg, hotelLeg]));
  expect(new Set(t.sw.hears(agentLeg))).toEqual(new Set([driver, hotelLeg]));
  expect(new Set(t.sw.hears(hotelLeg))).toEqual(new Set([driver, agentLeg]));
  expect(t.sw.isHearingHoldMusic(driver)).toBe(false);
  // hand the driver over to the hotel: the assistant drops, the driver and the hotel talk on
  expect(await agent.send('call:transfer_complete', { callId: offer.callId })).toEqual({ ok: true });
  await agent.next('call:transfer_state', (s: { state: string }) => s.state === 'completed');
  expect(t.sw.hears(driver)).toEqual([hotelLeg]);
  expect(t.sw.hears(hotelLeg)).toEqual([driver]);
  await agent.next('call:ended');
  car.hangup();
});

test('concierge: the hotel leaves a three-way call and the driver and the assistant talk on', async () => {
  const agent = await assistant('a1');
  const car = headerCall(LI, { 'X-Vehicle-Event': 'concierge' });
  const offer = await agent.next<Pop>('call:offer');
  await steps.acceptAndConnect(t, agent, offer.callId);
  const driver = car.legId;
  const agentLeg = t.sw.bridgedTo(driver) as string;
  let hotel: SimParty | undefined;
  t.sw.registerEndpoint('+862162881234', { answer: 'manual', onRing: (p) => { hotel = p; p.answer(); } });
  await agent.send('call:transfer', { callId: offer.callId, to: { number: '+862162881234' }, mode: 'consult' });
  await agent.next('call:transfer_state', (s: { state: string }) => s.state === 'consulting');
  await agent.send('call:transfer_join', { callId: offer.callId });
  await agent.next('call:transfer_state', (s: { state: string }) => s.state === 'joined');
  hotel?.hangup();
  await eventually(() => t.sw.bridgedTo(driver) === agentLeg, 'the driver back with the assistant');
  expect(t.sw.hears(driver)).toEqual([agentLeg]);
  car.hangup();
});
