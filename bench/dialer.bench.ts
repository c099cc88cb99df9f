import { VirtualClock } from '../src/clock/virtual-clock';
import { MemoryAbandonLedger } from '../src/dialer/abandon-ledger';
import { CampaignEngine } from '../src/dialer/campaign-engine';
import { adaptAveragePacer } from '../src/dialer/pacing/adapt-average';
import { type Pacer, previewWithReview, progressivePacer } from '../src/dialer/pacing/pacer';
import { predictivePacer } from '../src/dialer/pacing/predictive';
import { SimAgentPool } from '../src/dialer/sim/sim-agent-pool';
import { SimLeads } from '../src/dialer/sim/sim-leads';
import { createLogger } from '../src/log';
import { SimSwitch } from '../src/telephony/sim/sim-switch';
import { SeededRandom } from '../src/util/random';

/**
 * A DCC outbound working day on the simulated switch and the virtual clock, once per pacing mode,
 * same seed: 20 agents, 20,000 defeated leads, 25% answered by a person, 12% by a machine, 8%
 * busy, talk time log-normal with mean 3 min, wrap-up 30 s, 2 s safe harbor, 3% abandon limit.
 */
const AGENTS = Number(process.env.BENCH_AGENTS ?? 20);
const LEADS = Number(process.env.BENCH_LEADS ?? 20_000);
const HOURS = Number(process.env.BENCH_HOURS ?? 8);
/** One day per seed and mode (BENCH_SEEDS=7,11,23 by default; BENCH_SEED=n for one). */
const SEEDS = (process.env.BENCH_SEEDS ?? process.env.BENCH_SEED ?? '7,11,23').split(',').map(Number);

interface Row {
  mode: string;
  talkMinPerAgentHour: number;
  occupancy: number;
  callsPerHour: number;
  abandonRate: number;
  max30d: number;
  live: number;
  connected: number;
  abandoned: number;
  wallMs: number;
}

async function simulateDay(pacer: Pacer, SEED: number): Promise<Row> {
  const started = Date.now();
  const clock = new VirtualClock(Date.UTC(2026, 0, 5, 1, 0, 0)); // 09:00 in Shanghai
  const sw = new SimSwitch({ clock, promptDurationMs: (p) => (p.id === 'safe_harbor' ? 5000 : 2000) });
  await sw.start();
  const random = new SeededRandom(SEED);
  const ledger = new MemoryAbandonLedger();
  const leads = new SimLeads(LEADS, sw, clock, new SeededRandom(SEED + 1), { human: 0.25, machine: 0.12, busy: 0.08, ringMs: [4000, 20000] });
  let engine: CampaignEngine | undefined;
  const agents = new SimAgentPool(AGENTS, { sw, clock, random, talkMeanMs: 180_000, talkSigma: 0.6, wrapUpMs: 30_000, onTalkEnded: (ms) => engine?.stats.talkEnded(ms) });
  engine = new CampaignEngine(
    { campaignId: 'bench', callerId: '02158005678', ringTimeoutMs: 25_000, safeHarborMs: 2000, safeHarborPrompt: 'safe_harbor', machine: { action: 'hangup' }, abandonLimit: 0.03, tickMs: 1000, wrapUpMs: 30_000 },
    { sw, clock, pacer, leads, agents, ledger, log: createLogger('silent') },
  );
  engine.start();
  let max30d = 0;
  const end = clock.now() + HOURS * 3600_000;
  while (clock.now() < end) {
    await clock.advance(1000);
    const r = await ledger.rate30d('bench', clock.now());
    if (r.answered >= 100) max30d = Math.max(max30d, r.rate);
  }
  engine.stop();
  const c = engine.counters;
  const agentMs = AGENTS * HOURS * 3600_000;
  return {
    mode: pacer.name,
    talkMinPerAgentHour: agents.totals.talkMs / 60_000 / (AGENTS * HOURS),
    occupancy: (agents.totals.talkMs + agents.totals.wrapMs) / agentMs,
    callsPerHour: c.placed / HOURS,
    abandonRate: c.live === 0 ? 0 : c.abandoned / c.live,
    max30d,
    live: c.live,
    connected: c.connected,
    abandoned: c.abandoned,
    wallMs: Date.now() - started,
  };
}

async function main(): Promise<void> {
  for (const seed of SEEDS) await oneSeed(seed);
}

async function oneSeed(SEED: number): Promise<void> {
  console.log(`\ndialer day: ${AGENTS} agents, ${LEADS} leads, ${HOURS} h, seed ${SEED}; 25% person / 12% machine / 8% busy, talk log-normal mean 180 s, wrap-up 30 s`);
  const rows: Row[] = [];
  for (const pacer of [previewWithReview(10_000), progressivePacer, adaptAveragePacer(), predictivePacer()]) rows.push(await simulateDay(pacer, SEED));
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log('mode           talk min/agent-h  occupancy  calls/h  abandon  max 30-day abandon  live  connected  abandoned  sim wall');
  for (const r of rows) {
    console.log(
      `${r.mode.padEnd(14)} ${r.talkMinPerAgentHour.toFixed(1).padStart(16)}  ${pct(r.occupancy).padStart(9)}  ${r.callsPerHour.toFixed(0).padStart(7)}  ${pct(r.abandonRate).padStart(7)}  ${pct(r.max30d).padStart(18)}  ${String(r.live).padStart(4)}  ${String(r.connected).padStart(9)}  ${String(r.abandoned).padStart(9)}  ${(r.wallMs / 1000).toFixed(1)} s`,
    );
  }
  const ours = rows.find((r) => r.mode === 'predictive');
  const ref = rows.find((r) => r.mode === 'adapt_average');
  if (ours && ref) console.log(`predictive vs ADAPT_AVERAGE occupancy: ${((ours.occupancy - ref.occupancy) * 100).toFixed(1)} points; predictive max 30-day abandon ${pct(ours.max30d)} (limit 3%)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
