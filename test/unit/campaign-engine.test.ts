import { VirtualClock } from '../../src/clock/virtual-clock';
import { MemoryAbandonLedger } from '../../src/dialer/abandon-ledger';
import { CampaignEngine } from '../../src/dialer/campaign-engine';
import type { Pacer } from '../../src/dialer/pacing/pacer';
import type { AgentPool, DialLead, DialOutcome, LeadSource } from '../../src/dialer/ports';
import { createLogger } from '../../src/log';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import { SimSwitch } from '../../src/telephony/sim/sim-switch';

/** The dialing loop on the simulated switch and the virtual clock: the 2 s rule, machines, no agents, an exhausted list. */

class ListLeads implements LeadSource {
  readonly results: [string, DialOutcome][] = [];
  constructor(private readonly leads: DialLead[]) {}
  async next(): Promise<DialLead | undefined> {
    return this.leads.shift();
  }
  async outcome(lead: DialLead, o: DialOutcome): Promise<void> {
    this.results.push([lead.leadId, o]);
  }
  async exhausted(): Promise<boolean> {
    return this.leads.length === 0;
  }
}

/** Agents the test moves by hand. */
class HandAgents implements AgentPool {
  readyIds: string[];
  connected: [string, string][] = [];
  private listeners = new Set<() => void>();
  constructor(
    readyIds: string[],
    private readonly total = readyIds.length,
  ) {
    this.readyIds = [...readyIds];
  }
  loggedIn(): number {
    return this.total;
  }
  ready(): number {
    return this.readyIds.length;
  }
  busy() {
    return [];
  }
  async take(): Promise<string | undefined> {
    return this.readyIds.shift();
  }
  onReady(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  async connect(agentId: string, legId: string): Promise<void> {
    this.connected.push([agentId, legId]);
  }
  free(id: string): void {
    this.readyIds.push(id);
    for (const l of [...this.listeners]) l();
  }
}

/** Dials `n` calls on the first tick only. */
const burst = (n: number): Pacer => {
  let done = false;
  return { name: 'burst', decide: () => (done ? 0 : ((done = true), n)) };
};

function setup(agents: AgentPool, leads: DialLead[], pacer: Pacer, answer: Record<string, { afterMs: number; by?: 'human' | 'machine' } | 'busy'>) {
  const clock = new VirtualClock();
  const sw = new SimSwitch({ clock, promptDurationMs: () => 3000 });
  sw.start().catch((err: unknown) => console.error('sim switch did not start', err));
  const parties = new Map<string, SimParty>();
  for (const l of leads) {
    const a = answer[l.phone];
    sw.registerEndpoint(l.phone, {
      answer: 'manual',
      onRing: (party) => {
        parties.set(l.phone, party);
        if (a === 'busy') return party.reject(486);
        if (!a) return;
        party.answeredBy = a.by ?? 'human';
        clock.setTimer('answer', a.afterMs, () => party.answer());
      },
    });
  }
  const ledger = new MemoryAbandonLedger();
  const source = new ListLeads([...leads]);
  const stopped: string[] = [];
  const engine = new CampaignEngine(
    { campaignId: 'c1', callerId: '02158005678', ringTimeoutMs: 25_000, safeHarborMs: 2000, safeHarborPrompt: 'safe_harbor', machine: { action: 'hangup' }, abandonLimit: 0.03, tickMs: 1000, wrapUpMs: 30_000 },
    { sw, clock, pacer, leads: source, agents, ledger, log: createLogger('silent'), onStop: (r) => stopped.push(r) },
  );
  return { clock, sw, engine, ledger, source, parties, stopped };
}

const lead = (i: number): DialLead => ({ leadId: `L${i}`, phone: `+861390000000${i}` });

test('a person answered with no agent free waits 2 s, hears the safe-harbor message, and counts as abandoned', async () => {
  const agents = new HandAgents(['a1']);
  const { clock, engine, ledger, source, parties } = setup(agents, [lead(1), lead(2)], burst(2), { [lead(1).phone]: { afterMs: 5000 }, [lead(2).phone]: { afterMs: 5000 } });
  engine.start();
  await clock.advance(1000); // tick: both dialled
  await clock.advance(5000); // both answer together
  expect(agents.connected).toHaveLength(1);
  const waiting = parties.get(lead(2).phone) as SimParty;
  await clock.advance(1999);
  expect(waiting.heard).not.toContain('prompt:safe_harbor');
  await clock.advance(1);
  expect(waiting.heard).toContain('prompt:safe_harbor');
  await clock.advance(3000);
  expect(waiting.state).toBe('ended');
  expect(source.results).toEqual([
    ['L1', 'connected'],
    ['L2', 'abandoned'],
  ]);
  expect(await ledger.rate30d('c1', clock.now())).toEqual({ answered: 2, abandoned: 1, rate: 0.5 });
});

test('an agent freed within the 2 s connects the waiting person: no abandon', async () => {
  const agents = new HandAgents(['a1'], 2);
  const { clock, engine, ledger } = setup(agents, [lead(1), lead(2)], burst(2), { [lead(1).phone]: { afterMs: 5000 }, [lead(2).phone]: { afterMs: 5000 } });
  engine.start();
  await clock.advance(6000);
  await clock.advance(1500);
  agents.free('a2');
  await clock.advance(10);
  expect(agents.connected.map((c) => c[0])).toEqual(['a1', 'a2']);
  expect((await ledger.rate30d('c1', clock.now())).abandoned).toBe(0);
});

test('machines are hung up and busy lines recorded, neither counted as answered by a person', async () => {
  const agents = new HandAgents(['a1', 'a2']);
  const { clock, engine, ledger, source } = setup(agents, [lead(1), lead(2)], burst(2), { [lead(1).phone]: { afterMs: 4000, by: 'machine' }, [lead(2).phone]: 'busy' });
  engine.start();
  await clock.advance(6000);
  expect(source.results.sort()).toEqual([
    ['L1', 'machine'],
    ['L2', 'busy'],
  ]);
  expect(agents.connected).toEqual([]);
  expect((await ledger.rate30d('c1', clock.now())).answered).toBe(0);
});

test('nobody logged in: the campaign places no call', async () => {
  const agents = new HandAgents([], 0);
  const { clock, engine, source } = setup(agents, [lead(1)], { name: 'eager', decide: () => 5 }, {});
  engine.start();
  await clock.advance(10_000);
  expect(engine.counters.placed).toBe(0);
  expect(source.results).toEqual([]);
});

test('an exhausted list stops the campaign, saying so', async () => {
  const agents = new HandAgents(['a1']);
  const { clock, engine, stopped } = setup(agents, [lead(1)], { name: 'eager', decide: () => 1 }, {});
  engine.start();
  await clock.advance(1000);
  expect(engine.state.state).toBe('running'); // the one lead is still ringing
  await clock.advance(30_000); // rings out
  expect(engine.state).toEqual({ state: 'stopped', reason: 'exhausted' });
  expect(stopped).toEqual(['exhausted']);
});
