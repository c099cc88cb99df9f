import type { SkillRequirement } from '../acd/queue-store';
import type { Logger } from '../log';
import type { StoreCalendar } from '../org/business-hours';
import { LegGoneError, type CollectResult, type LegId, type PromptRef, type Switch } from '../telephony/switch';
import { type CallerFacts, evaluate } from './conditions';
import type { IvrFlow, IvrNode } from './flow-schema';

/** How a caller leaves the IVR. */
export type IvrOutcome =
  | { kind: 'enqueue'; queueId: string; priority: number; skills: SkillRequirement[]; preferredAgent: string | undefined }
  | { kind: 'transfer'; number: string }
  | { kind: 'callback'; queueId: string; prompt: string }
  | { kind: 'hangup' }
  | { kind: 'caller_left' };

/** One visited node, for the agent's screen-pop and the call record. */
export interface IvrStep {
  node: string;
  type: IvrNode['type'];
  /** Keys the caller pressed at this node (menus, collects). */
  digits?: string;
  /** What happened: the chosen option, 'invalid', 'no_input', the branch taken... */
  result?: string;
}

export interface IvrResult {
  flowId: string;
  outcome: IvrOutcome;
  path: IvrStep[];
  vars: Record<string, string>;
}

export interface IvrDeps {
  sw: Switch;
  legId: LegId;
  facts: CallerFacts;
  now: () => number;
  stores: (storeId: string) => StoreCalendar | undefined;
  log: Logger;
}

/** A flow that loops without the caller's input this many times is cut short (a flow bug, not a caller). */
const MAX_STEPS = 200;

/**
 * Runs one flow on one caller leg, node by node, through the Switch port. Decisions (branches,
 * menu choices, validation) are pure; only play/collect touch the switch.
 */
export class IvrSession {
  private readonly path: IvrStep[] = [];
  private readonly vars: Record<string, string> = {};

  constructor(
    private readonly flow: IvrFlow,
    private readonly deps: IvrDeps,
  ) {}

  async run(): Promise<IvrResult> {
    try {
      return this.result(await this.walk());
    } catch (err) {
      if (err instanceof LegGoneError) return this.result({ kind: 'caller_left' });
      throw err;
    }
  }

  private result(outcome: IvrOutcome): IvrResult {
    return { flowId: this.flow.id, outcome, path: this.path, vars: { ...this.vars } };
  }

  private async walk(): Promise<IvrOutcome> {
    let name = this.flow.start;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const node = this.flow.nodes[name];
      if (!node) throw new Error(`flow ${this.flow.id}: no node "${name}"`); // prevented by the loader
      const step: IvrStep = { node: name, type: node.type };
      this.path.push(step);
      const next = await this.visit(node, step);
      if (typeof next !== 'string') return next;
      name = next;
    }
    this.deps.log.error({ flow: this.flow.id, last: name }, 'IVR flow looped without end; hanging up');
    return { kind: 'hangup' };
  }

  /** Runs a node; returns the next node's name, or how the caller leaves. */
  private async visit(node: IvrNode, step: IvrStep): Promise<string | IvrOutcome> {
    switch (node.type) {
      case 'play': {
        const r = await this.deps.sw.play(this.deps.legId, this.prompt(node.prompt), { bargeIn: node.bargeIn });
        return r.outcome === 'hangup' ? { kind: 'caller_left' } : node.next;
      }
      case 'menu':
        return this.menu(node, step);
      case 'collect':
        return this.collect(node, step);
      case 'branch': {
        const now = this.deps.now();
        const i = node.cases.findIndex((c) => evaluate(c.when, this.deps.facts, this.vars, now, this.deps.stores));
        step.result = i >= 0 ? `case ${i}` : 'otherwise';
        return i >= 0 ? (node.cases[i]?.next ?? node.otherwise) : node.otherwise;
      }
      case 'set':
        Object.assign(this.vars, node.vars);
        return node.next;
      case 'enqueue': {
        const preferred = node.preferredAgent === 'owner' ? this.deps.facts.owningUser : node.preferredAgent === 'none' ? undefined : node.preferredAgent.username;
        return { kind: 'enqueue', queueId: node.queue, priority: node.priority, skills: node.skills.map((s) => ({ skill: s.skill, minLevel: s.minLevel })), preferredAgent: preferred };
      }
      case 'transfer':
        if (node.prompt && (await this.deps.sw.play(this.deps.legId, this.prompt(node.prompt))).outcome === 'hangup') return { kind: 'caller_left' };
        return { kind: 'transfer', number: node.number };
      case 'callback':
        return { kind: 'callback', queueId: node.queue, prompt: node.prompt };
      case 'hangup':
        if (node.prompt) await this.deps.sw.play(this.deps.legId, this.prompt(node.prompt));
        return { kind: 'hangup' };
    }
  }

  private async menu(node: Extract<IvrNode, { type: 'menu' }>, step: IvrStep): Promise<string | IvrOutcome> {
    let pressed = '';
    for (let attempt = 0; attempt <= node.retries; attempt++) {
      const r = await this.deps.sw.collectDigits(this.deps.legId, {
        minDigits: 1,
        maxDigits: 1,
        firstDigitTimeoutMs: node.timeoutMs,
        interDigitTimeoutMs: node.timeoutMs,
        prompt: this.prompt(node.prompt),
      });
      if (r.outcome === 'hangup') return { kind: 'caller_left' };
      pressed += r.digits;
      step.digits = pressed;
      const target = r.outcome === 'digits' ? node.options[r.digits] : undefined;
      if (target !== undefined) {
        step.result = r.digits;
        return target;
      }
      if (attempt < node.retries && !(await this.sorry(r, node.invalidPrompt, node.noInputPrompt))) return { kind: 'caller_left' };
    }
    step.result = 'failed';
    return node.onFail;
  }

  private async collect(node: Extract<IvrNode, { type: 'collect' }>, step: IvrStep): Promise<string | IvrOutcome> {
    const pattern = node.pattern !== undefined ? new RegExp(node.pattern) : undefined;
    for (let attempt = 0; attempt <= node.retries; attempt++) {
      const r = await this.deps.sw.collectDigits(this.deps.legId, {
        minDigits: node.minDigits,
        maxDigits: node.maxDigits,
        terminator: node.terminator,
        firstDigitTimeoutMs: node.firstDigitTimeoutMs,
        interDigitTimeoutMs: node.interDigitTimeoutMs,
        prompt: this.prompt(node.prompt),
      });
      if (r.outcome === 'hangup') return { kind: 'caller_left' };
      step.digits = r.digits;
      if (r.outcome === 'digits' && r.digits.length >= node.minDigits && (!pattern || pattern.test(r.digits))) {
        this.vars[node.into] = r.digits;
        step.result = 'valid';
        return node.next;
      }
      step.result = r.outcome === 'timeout' && r.digits === '' ? 'no_input' : 'invalid';
      if (attempt < node.retries && !(await this.sorry(r, node.invalidPrompt, node.invalidPrompt))) return { kind: 'caller_left' };
    }
    return node.onFail;
  }

  /** Tells the caller the input was wrong or missing; false when they hung up meanwhile. */
  private async sorry(r: CollectResult, invalidPrompt: string, noInputPrompt: string): Promise<boolean> {
    const id = r.outcome === 'timeout' && r.digits === '' ? noInputPrompt : invalidPrompt;
    const played = await this.deps.sw.play(this.deps.legId, this.prompt(id));
    return played.outcome !== 'hangup';
  }

  private prompt(id: string): PromptRef {
    return { id, language: this.flow.language };
  }
}
