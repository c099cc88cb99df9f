import path from 'node:path';
import { type FlowCheckContext, loadFlows } from './flow-loader';
import type { IvrFlow } from './flow-schema';
import { PromptCatalog } from './prompt-catalog';

/**
 * The IVR flows of ivr/flows and the prompt catalog, loaded and checked at start-up (an invalid
 * file stops the start with its name and node); which flow answers a dialled number.
 */
export class IvrDirectory {
  private readonly byNumber = new Map<string, IvrFlow>();

  private constructor(
    readonly prompts: PromptCatalog,
    readonly flows: IvrFlow[],
  ) {
    for (const f of flows) for (const n of f.numbers) this.byNumber.set(digits(n), f);
  }

  static load(ivrDir: string, known: Omit<FlowCheckContext, 'prompts'>): IvrDirectory {
    const prompts = PromptCatalog.load(path.join(ivrDir, 'prompts.yaml'));
    return new IvrDirectory(prompts, loadFlows(path.join(ivrDir, 'flows'), { ...known, prompts }));
  }

  /** The flow answering this dialled number (national or E.164 form), if any. */
  forDialled(to: string): IvrFlow | undefined {
    const d = digits(to);
    return this.byNumber.get(d) ?? (d.startsWith('86') ? this.byNumber.get(d.slice(2)) : this.byNumber.get(`86${d}`));
  }
}

function digits(n: string): string {
  return n.replace(/\D/g, '');
}
