import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProjectRoot } from '../../src/util/project-root';

/**
 * An IVR folder with one flow of the suites' own on 4008007777 (press 1 or wait: the sales queue),
 * so the real-stack tests do not depend on the demo store's opening hours. Remove it when done.
 */
export function realStackIvrDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-ivr-'));
  fs.copyFileSync(path.join(findProjectRoot(), 'ivr', 'prompts.yaml'), path.join(dir, 'prompts.yaml'));
  fs.mkdirSync(path.join(dir, 'flows'));
  fs.writeFileSync(
    path.join(dir, 'flows', 'realstack.yaml'),
    ['id: realstack', 'description: real-stack test line', 'language: zh-CN', "numbers: ['4008007777']", 'start: menu', 'nodes:', '  menu:', '    type: menu', '    prompt: main_menu', "    options: { '1': sales }", '    timeoutMs: 8000', '    retries: 1', '    onFail: sales', '  sales:', '    type: enqueue', '    queue: sales', ''].join('\n'),
  );
  return dir;
}
