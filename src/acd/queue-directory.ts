import type { Models } from '../store/models';

export interface QueueConfig {
  queueId: string;
  name: string;
  numbers: string[];
  greetingPrompt: string;
  offerTimeoutMs: number;
  wrapUpMs: number;
  dispositionCodes: string[];
}

/** Queue definitions (MongoDB), cached; which queue a dialled number lands in. */
export class QueueDirectory {
  private byId = new Map<string, QueueConfig>();

  constructor(
    private readonly models: Models,
    private readonly defaults: { offerTimeoutMs: number; wrapUpMs: number },
  ) {}

  async load(): Promise<void> {
    const docs = await this.models.Queue.find().sort({ createdAt: 1 }).lean();
    this.byId = new Map(
      docs.map((d) => [
        d.queueId,
        {
          queueId: d.queueId,
          name: d.name,
          numbers: d.numbers,
          greetingPrompt: d.greetingPrompt,
          offerTimeoutMs: d.offerTimeoutMs ?? this.defaults.offerTimeoutMs,
          wrapUpMs: d.wrapUpMs ?? this.defaults.wrapUpMs,
          dispositionCodes: d.dispositionCodes,
        },
      ]),
    );
  }

  get(queueId: string): QueueConfig | undefined {
    return this.byId.get(queueId);
  }

  /** The queue whose numbers include the dialled number; else the first queue defined. */
  forDialled(to: string): QueueConfig | undefined {
    const digits = to.replace(/[^0-9]/g, '');
    for (const q of this.byId.values()) if (q.numbers.some((n) => n.replace(/[^0-9]/g, '') === digits)) return q;
    return this.byId.values().next().value;
  }
}
