import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { type Condition, flowSchema, type IvrFlow, type IvrNode } from './flow-schema';
import type { PromptCatalog } from './prompt-catalog';

/** An invalid flow file: the message names the file and, where it can, the node. */
export class FlowError extends Error {
  constructor(
    readonly file: string,
    readonly node: string | undefined,
    detail: string,
  ) {
    super(`${file}${node ? `, node "${node}"` : ''}: ${detail}`);
    this.name = 'FlowError';
  }
}

export interface FlowCheckContext {
  prompts: PromptCatalog;
  /** Queue ids that exist; enqueue and callback nodes must name one of them. */
  queueIds: ReadonlySet<string>;
  /** Store ids that exist; storeOpen / holiday conditions must name one of them. */
  storeIds: ReadonlySet<string>;
}

/** Parses and checks one flow file (YAML or JSON). */
export function parseFlowFile(file: string, text: string, ctx: FlowCheckContext): IvrFlow {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new FlowError(file, undefined, `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = flowSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(file, parsed.error);
  checkReferences(file, parsed.data, ctx);
  return parsed.data;
}

const NODE_TYPES = 'play, menu, collect, branch, set, enqueue, transfer, callback, hangup';
const CONDITIONS = 'knownCustomer, grade, owningStore, storeOpen, holiday, timeOfDay, var, all, any, not';

/** The most specific message of an issue (zod nests the reasons of bad record keys and unions). */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues[0]) return messageOf(issue.issues[0]);
  if (issue.code === 'invalid_union') {
    if (issue.errors.length === 0) return `must be one of: ${NODE_TYPES}`; // the node-type discriminator
    // A condition: explain by the branch whose key the author used (not one that only missed its key).
    const used = issue.errors.find((b) => b.length > 0 && b.every((i) => i.code !== 'unrecognized_keys' && !(i.code === 'invalid_type' && i.path.length === 1 && i.message.endsWith('received undefined'))));
    const inner = used?.[0];
    if (!inner) return `is not a condition; use one of: ${CONDITIONS}`;
    return `${inner.path.length ? `${inner.path.join('.')}: ` : ''}${messageOf(inner)}`;
  }
  return issue.message;
}

function schemaError(file: string, error: z.ZodError): FlowError {
  const issue = error.issues[0];
  if (!issue) return new FlowError(file, undefined, 'invalid');
  const message = messageOf(issue);
  const [top, nodeName, ...rest] = issue.path.map(String);
  if (top === 'nodes' && nodeName !== undefined) {
    return new FlowError(file, nodeName, `${rest.length ? `${rest.join('.')}: ` : ''}${message}`);
  }
  return new FlowError(file, undefined, `${issue.path.join('.') || 'flow'}: ${message}`);
}

/** The nodes a node can go to, with where in the node each is named. */
export function successors(node: IvrNode): { field: string; target: string }[] {
  switch (node.type) {
    case 'play':
    case 'set':
      return [{ field: 'next', target: node.next }];
    case 'menu':
      return [...Object.entries(node.options).map(([key, target]) => ({ field: `options.${key}`, target })), { field: 'onFail', target: node.onFail }];
    case 'collect':
      return [
        { field: 'next', target: node.next },
        { field: 'onFail', target: node.onFail },
      ];
    case 'branch':
      return [...node.cases.map((c, i) => ({ field: `cases.${i}.next`, target: c.next })), { field: 'otherwise', target: node.otherwise }];
    default:
      return [];
  }
}

function promptsOf(node: IvrNode): { field: string; id: string }[] {
  const out: { field: string; id: string }[] = [];
  const add = (field: string, id: string | undefined) => id !== undefined && out.push({ field, id });
  switch (node.type) {
    case 'play':
      add('prompt', node.prompt);
      break;
    case 'menu':
      add('prompt', node.prompt);
      add('invalidPrompt', node.invalidPrompt);
      add('noInputPrompt', node.noInputPrompt);
      break;
    case 'collect':
      add('prompt', node.prompt);
      add('invalidPrompt', node.invalidPrompt);
      break;
    case 'transfer':
    case 'hangup':
    case 'callback':
      add('prompt', node.prompt);
      break;
    default:
      break;
  }
  return out;
}

function storesIn(c: Condition): string[] {
  if ('storeOpen' in c) return [c.storeOpen];
  if ('holiday' in c) return [c.holiday];
  if ('all' in c) return c.all.flatMap(storesIn);
  if ('any' in c) return c.any.flatMap(storesIn);
  if ('not' in c) return storesIn(c.not);
  return [];
}

function patternsIn(c: Condition): string[] {
  if ('var' in c && c.matches !== undefined) return [c.matches];
  if ('all' in c) return c.all.flatMap(patternsIn);
  if ('any' in c) return c.any.flatMap(patternsIn);
  if ('not' in c) return patternsIn(c.not);
  return [];
}

function checkRegex(file: string, node: string, field: string, pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new FlowError(file, node, `${field}: not a valid regular expression (${(err as Error).message})`);
  }
}

function checkReferences(file: string, flow: IvrFlow, ctx: FlowCheckContext): void {
  const nodes = flow.nodes;
  if (!(flow.start in nodes)) throw new FlowError(file, undefined, `start: "${flow.start}" is not a node of this flow`);
  for (const [name, node] of Object.entries(nodes)) {
    for (const { field, target } of successors(node)) {
      if (!(target in nodes)) throw new FlowError(file, name, `${field}: "${target}" is not a node of this flow`);
    }
    for (const { field, id } of promptsOf(node)) {
      if (!ctx.prompts.has(id)) throw new FlowError(file, name, `${field}: prompt "${id}" is not in ivr/prompts.yaml`);
    }
    if ((node.type === 'enqueue' || node.type === 'callback') && !ctx.queueIds.has(node.queue)) {
      throw new FlowError(file, name, `queue: "${node.queue}" is not a configured queue (known: ${[...ctx.queueIds].join(', ') || 'none'})`);
    }
    if (node.type === 'collect') {
      if (node.minDigits > node.maxDigits) throw new FlowError(file, name, `minDigits (${node.minDigits}) is more than maxDigits (${node.maxDigits})`);
      if (node.pattern !== undefined) checkRegex(file, name, 'pattern', node.pattern);
    }
    if (node.type === 'branch') {
      node.cases.forEach((c, i) => {
        for (const store of storesIn(c.when)) {
          if (!ctx.storeIds.has(store)) throw new FlowError(file, name, `cases.${i}.when: store "${store}" is not a configured store`);
        }
        for (const p of patternsIn(c.when)) checkRegex(file, name, `cases.${i}.when.matches`, p);
      });
    }
  }
}

/** Every flow in a folder (*.yaml, *.yml, *.json); a dialled number may belong to one flow only. */
export function loadFlows(dir: string, ctx: FlowCheckContext): IvrFlow[] {
  if (!fs.existsSync(dir)) return [];
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  const flows: IvrFlow[] = [];
  const owners = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const f of files) {
    const rel = path.join(path.basename(path.dirname(dir)), path.basename(dir), f);
    const flow = parseFlowFile(rel, fs.readFileSync(path.join(dir, f), 'utf8'), ctx);
    const sameId = ids.get(flow.id);
    if (sameId) throw new FlowError(rel, undefined, `id: "${flow.id}" is already used by ${sameId}`);
    ids.set(flow.id, rel);
    for (const n of flow.numbers) {
      const digits = n.replace(/\D/g, '');
      const owner = owners.get(digits);
      if (owner) throw new FlowError(rel, undefined, `numbers: ${n} is already answered by ${owner}`);
      owners.set(digits, rel);
    }
    flows.push(flow);
  }
  return flows;
}
