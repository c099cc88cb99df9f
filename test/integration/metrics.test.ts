import { acceptAndConnect, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * GET /metrics as Prometheus scrapes it: behind its token, with the figures an operator alerts on —
 * calls offered, answered and abandoned per queue, calls waiting, agents by state, routing and offer
 * latency, job queues, the switch, unhandled rejections.
 */

let t: TestApp;
const TOKEN = 'scrape-token-0123456789';

beforeAll(async () => {
  t = await startTestApp({ metricsToken: TOKEN });
});

afterAll(async () => {
  await t.stop();
});

async function scrape(token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${t.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

/** The value of one sample line, e.g. value(text, 'dcc_calls_offered_total{queue="sales"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

test('without the scrape token the figures are refused', async () => {
  expect((await scrape()).status).toBe(401);
  expect((await scrape('wrong-token-0123456789')).status).toBe(401);
});

test('calls, queues, agents and latencies as they happen', async () => {
  const agent = await readyAgent(t, 'm1');
  const caller = await callIn(t, '13800005001');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  const waiting = await callIn(t, '13800005002'); // nobody free: it waits
  let m = await scrape(TOKEN);
  expect(m.status).toBe(200);
  expect(value(m.text, 'dcc_calls_offered_total{queue="sales"}')).toBe(2);
  expect(value(m.text, 'dcc_calls_answered_total{queue="sales"}')).toBe(1);
  expect(value(m.text, 'dcc_waiting_calls{queue="sales"}')).toBe(1);
  expect(value(m.text, 'dcc_agents{state="talking"}')).toBe(1);
  expect(value(m.text, 'dcc_routing_seconds_count')).toBeGreaterThan(0);
  expect(value(m.text, 'dcc_offer_seconds_count')).toBe(1);
  expect(value(m.text, 'dcc_switch_connected')).toBe(1);
  expect(value(m.text, 'dcc_leader')).toBe(1);
  expect(value(m.text, 'dcc_unhandled_rejections_total')).toBe(0);

  waiting.hangup();
  caller.hangup();
  await agent.state('wrap_up');
  m = await scrape(TOKEN);
  expect(value(m.text, 'dcc_calls_abandoned_total{queue="sales"}')).toBe(1);
  expect(value(m.text, 'dcc_waiting_calls{queue="sales"}')).toBe(0);
  expect(value(m.text, 'dcc_agents{state="wrap_up"}')).toBe(1);
});

test('an app without a scrape token configured has no /metrics at all', async () => {
  const plain = await startTestApp();
  try {
    const res = await fetch(`${plain.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  } finally {
    await plain.stop();
  }
});
