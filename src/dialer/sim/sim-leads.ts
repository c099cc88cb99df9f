import type { Clock } from '../../clock/clock';
import type { SimSwitch } from '../../telephony/sim/sim-switch';
import type { SeededRandom } from '../../util/random';
import type { DialLead, DialOutcome, LeadSource } from '../ports';

export interface LeadBehaviourMix {
  /** Shares of dials answered by a person, by a machine, busy; the rest ring out. */
  human: number;
  machine: number;
  busy: number;
  /** Ring time before a person or machine answers, uniform in [min, max] ms. */
  ringMs: [number, number];
}

/**
 * A list of simulated leads for dialer simulations: each number is a phone on the simulated
 * switch that answers (person or machine), is busy, or rings out, drawn from a seeded mix each
 * time it is dialled. Leads are dialled once, in order.
 */
export class SimLeads implements LeadSource {
  private nextIndex = 0;
  readonly outcomes = new Map<DialOutcome, number>();

  constructor(
    private readonly count: number,
    sw: SimSwitch,
    clock: Clock,
    random: SeededRandom,
    mix: LeadBehaviourMix,
  ) {
    for (let i = 0; i < count; i++) {
      sw.registerEndpoint(this.phone(i), {
        answer: 'manual',
        onRing: (party) => {
          const r = random.next();
          if (r < mix.busy) {
            party.reject(486);
            return;
          }
          if (r < mix.busy + mix.human + mix.machine) {
            party.answeredBy = r < mix.busy + mix.human ? 'human' : 'machine';
            clock.setTimer(`sim-lead:${i}:answer`, random.int(mix.ringMs[0], mix.ringMs[1]), () => party.answer());
          }
          // else: rings until the dialer's ring timeout
        },
      });
    }
  }

  private phone(i: number): string {
    return `+86139${String(i).padStart(8, '0')}`;
  }

  async next(): Promise<DialLead | undefined> {
    if (this.nextIndex >= this.count) return undefined;
    const i = this.nextIndex++;
    return { leadId: `L${i}`, phone: this.phone(i) };
  }

  async outcome(_lead: DialLead, outcome: DialOutcome): Promise<void> {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  async exhausted(): Promise<boolean> {
    return this.nextIndex >= this.count;
  }
}
