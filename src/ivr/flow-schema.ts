import { z } from 'zod';
import { isTimeZone } from '../org/business-hours';

/**
 * IVR flows as data (ivr/flows/*.yaml). A flow is a graph of named nodes; each node does one thing
 * and names the node that comes next. The schema checks each node's shape; flow-loader.ts then
 * checks the references between nodes, prompts and queues.
 */

const nodeName = z.string().min(1, 'must name a node');
const promptId = z.string().regex(/^[a-z0-9_]+$/, 'must be a prompt id from ivr/prompts.yaml');
const digitKey = z.string().regex(/^[0-9*#]$/, 'menu keys are single digits, * or #');
const varName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'variable names are lower-case letters, digits and _');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'times are HH:MM (24-hour)');
const ms = (fallback: number) => z.number().int().min(100, 'must be at least 100 ms').max(120_000, 'must be at most 120000 ms').default(fallback);

export type Condition =
  | { knownCustomer: boolean }
  | { grade: string[] }
  | { owningStore: string[] }
  | { storeOpen: string }
  | { holiday: string }
  | { timeOfDay: { from: string; to: string; days?: number[] | undefined; timeZone: string } }
  | { var: string; equals?: string | undefined; in?: string[] | undefined; matches?: string | undefined }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const timeZone = z.string().refine(isTimeZone, { message: 'is not an IANA time zone such as Asia/Shanghai' });

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ knownCustomer: z.boolean() }),
    z.strictObject({ grade: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ owningStore: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ storeOpen: z.string().min(1) }),
    z.strictObject({ holiday: z.string().min(1) }),
    z.strictObject({
      timeOfDay: z.strictObject({
        from: hhmm,
        to: hhmm,
        days: z.array(z.number().int().min(1).max(7)).min(1).optional(),
        timeZone: timeZone.default('Asia/Shanghai'),
      }),
    }),
    z
      .strictObject({ var: varName, equals: z.string().optional(), in: z.array(z.string()).optional(), matches: z.string().optional() })
      .refine((c) => [c.equals, c.in, c.matches].filter((x) => x !== undefined).length === 1, { message: 'a var condition needs exactly one of equals, in, matches' }),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

const skill = z.strictObject({ skill: z.string().min(1), minLevel: z.number().int().min(1).max(10).default(1) });

export const nodeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('play'), prompt: promptId, bargeIn: z.boolean().default(false), next: nodeName }),
  z.strictObject({
    type: z.literal('menu'),
    prompt: promptId,
    options: z.record(digitKey, nodeName).refine((o) => Object.keys(o).length > 0, { message: 'a menu needs at least one option' }),
    timeoutMs: ms(5000),
    retries: z.number().int().min(0).max(5).default(2),
    invalidPrompt: promptId.default('invalid_choice'),
    noInputPrompt: promptId.default('no_input'),
    onFail: nodeName,
  }),
  z.strictObject({
    type: z.literal('collect'),
    prompt: promptId,
    into: varName,
    minDigits: z.number().int().min(1).max(32).default(1),
    maxDigits: z.number().int().min(1).max(32),
    terminator: z.enum(['#', '*']).optional(),
    firstDigitTimeoutMs: ms(6000),
    interDigitTimeoutMs: ms(3000),
    pattern: z.string().optional(),
    retries: z.number().int().min(0).max(5).default(2),
    invalidPrompt: promptId.default('invalid_choice'),
    next: nodeName,
    onFail: nodeName,
  }),
  z.strictObject({
    type: z.literal('branch'),
    cases: z.array(z.strictObject({ when: conditionSchema, next: nodeName })).min(1),
    otherwise: nodeName,
  }),
  z.strictObject({ type: z.literal('set'), vars: z.record(varName, z.string()), next: nodeName }),
  z.strictObject({
    type: z.literal('enqueue'),
    queue: z.string().min(1),
    priority: z.number().int().min(0).max(100).default(0),
    skills: z.array(skill).default([]),
    /** owner: the customer's owning consultant or DCC agent first; none: anyone; or a username. */
    preferredAgent: z.union([z.literal('owner'), z.literal('none'), z.strictObject({ username: z.string().min(1) })]).default('owner'),
  }),
  z.strictObject({ type: z.literal('transfer'), number: z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number'), prompt: promptId.optional() }),
  z.strictObject({ type: z.literal('callback'), queue: z.string().min(1), prompt: promptId.default('callback_confirmed') }),
  z.strictObject({ type: z.literal('hangup'), prompt: promptId.optional() }),
]);

export const flowSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'flow ids are lower-case letters, digits and -'),
  description: z.string().optional(),
  language: z.enum(['zh-CN', 'en']).default('zh-CN'),
  /** Dialled numbers this flow answers. */
  numbers: z.array(z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number')).min(1),
  start: nodeName,
  nodes: z.record(z.string().regex(/^[a-z0-9_]+$/, 'node names are lower-case letters, digits and _'), nodeSchema),
});

export type IvrNode = z.infer<typeof nodeSchema>;
export type IvrFlow = z.infer<typeof flowSchema>;
