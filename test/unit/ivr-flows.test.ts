import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlowError, loadFlows, parseFlowFile, type FlowCheckContext } from '../../src/ivr/flow-loader';
import { numberPrompts, PromptCatalog } from '../../src/ivr/prompt-catalog';
import { findProjectRoot } from '../../src/util/project-root';

const ROOT = findProjectRoot();
const prompts = PromptCatalog.load(path.join(ROOT, 'ivr', 'prompts.yaml'));
const ctx: FlowCheckContext = { prompts, queueIds: new Set(['dcc-inbound', 'sales', 'dcc-callback']), storeIds: new Set(['sh-pudong']) };

const good = `
id: t
numbers: ['4001']
start: menu
nodes:
  menu:
    type: menu
    prompt: main_menu
    options: { '1': q }
    onFail: bye
  q: { type: enqueue, queue: sales }
  bye: { type: hangup, prompt: goodbye }
`;

function errorOf(text: string, file = 'ivr/flows/t.yaml'): string {
  try {
    parseFlowFile(file, text, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowError);
    return (err as Error).message;
  }
  throw new Error('expected the flow to be refused');
}

test('the shipped sample flows load against the demo queues and stores, and every prompt id they use exists', () => {
  const flows = loadFlows(path.join(ROOT, 'ivr', 'flows'), ctx);
  expect(flows.map((f) => f.id).sort()).toEqual(['dcc-callback-line', 'dealer-main']);
  expect(flows.every((f) => f.language === 'zh-CN')).toBe(true);
});

test('a valid flow gets its defaults filled in', () => {
  const flow = parseFlowFile('x.yaml', good, ctx);
  const menu = flow.nodes.menu;
  expect(menu).toMatchObject({ type: 'menu', retries: 2, timeoutMs: 5000, invalidPrompt: 'invalid_choice' });
  expect(flow.nodes.q).toMatchObject({ priority: 0, preferredAgent: 'owner', skills: [] });
});

test.each([
  ['a menu option pointing at a missing node', good.replace("'1': q", "'1': nowhere"), 'ivr/flows/t.yaml, node "menu": options.1: "nowhere" is not a node of this flow'],
  ['a start node that does not exist', good.replace('start: menu', 'start: begin'), 'ivr/flows/t.yaml: start: "begin" is not a node of this flow'],
  ['an unknown prompt id', good.replace('prompt: goodbye', 'prompt: farewell'), 'node "bye": prompt: prompt "farewell" is not in ivr/prompts.yaml'],
  ['an unknown queue', good.replace('queue: sales', 'queue: nosuch'), 'node "q": queue: "nosuch" is not a configured queue'],
  ['a menu key that is not a digit', good.replace("'1': q", "'12': q"), 'node "menu": options.12: menu keys are single digits, * or #'],
  ['an unknown node type', good.replace('type: hangup', 'type: dance'), 'node "bye": type: must be one of: play, menu, collect'],
  ['an unknown field (typo)', good.replace('onFail: bye', 'onFail: bye\n    retires: 3'), 'node "menu": Unrecognized key: "retires"'],
  ['an unknown condition', good.replace('q: { type: enqueue, queue: sales }', 'q: { type: branch, cases: [{ when: { weather: sunny }, next: bye }], otherwise: bye }'), 'node "q": cases.0.when: is not a condition; use one of: knownCustomer'],
  ['YAML that does not parse', `${good}\n  broken: [`, 'ivr/flows/t.yaml: not valid YAML'],
  ['a bad regular expression', good.replace('q: { type: enqueue, queue: sales }', "q: { type: collect, prompt: enter_order_number, into: n, maxDigits: 6, pattern: '([', next: bye, onFail: bye }"), 'node "q": pattern: not a valid regular expression'],
  ['minDigits above maxDigits', good.replace('q: { type: enqueue, queue: sales }', 'q: { type: collect, prompt: enter_order_number, into: n, minDigits: 7, maxDigits: 6, next: bye, onFail: bye }'), 'node "q": minDigits (7) is more than maxDigits (6)'],
  ['a branch on an unknown store', good.replace('q: { type: enqueue, queue: sales }', 'q: { type: branch, cases: [{ when: { storeOpen: nowhere }, next: bye }], otherwise: bye }'), 'node "q": cases.0.when: store "nowhere" is not a configured store'],
  ['a time zone that does not exist', good.replace('q: { type: enqueue, queue: sales }', "q: { type: branch, cases: [{ when: { timeOfDay: { from: '09:00', to: '18:00', timeZone: Mars/Olympus } }, next: bye }], otherwise: bye }"), 'node "q": cases.0.when.timeOfDay.timeZone: is not an IANA time zone'],
])('refused with the file and node named: %s', (_what, text, message) => {
  expect(errorOf(text)).toContain(message);
});

test('two flows may not answer the same number, and the error names both files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.yaml'), good);
    fs.writeFileSync(path.join(dir, 'b.yaml'), good.replace('id: t', 'id: u'));
    expect(() => loadFlows(dir, ctx)).toThrow(/b\.yaml: numbers: 4001 is already answered by .*a\.yaml/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('numbers are spoken from digit prompts that all exist in the catalog', () => {
  expect(numberPrompts(0)).toEqual(['number_0']);
  expect(numberPrompts(7)).toEqual(['number_7']);
  expect(numberPrompts(15)).toEqual(['number_15']);
  expect(numberPrompts(40)).toEqual(['number_40']);
  expect(numberPrompts(23)).toEqual(['number_20', 'number_3']);
  expect(numberPrompts(250)).toEqual(['number_many']);
  for (let n = 0; n <= 101; n++) for (const id of numberPrompts(n)) expect(prompts.has(id)).toBe(true);
});

test('prompt timing for the simulated switch follows the text length per language', () => {
  expect(prompts.durationMs({ id: 'main_menu' })).toBeGreaterThan(prompts.durationMs({ id: 'goodbye' }));
  expect(prompts.durationMs({ id: 'silence:1500' })).toBe(1500);
  expect(prompts.text('welcome', 'en')).toMatch(/thank you for calling/i);
});
