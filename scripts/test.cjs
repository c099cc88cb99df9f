'use strict';
// `npm test`: set up what is missing (tests always start their own redis-server and FerretDB),
// type-check everything, lint, run jest, and end with one plain summary line.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { bootstrap, ROOT } = require('./bootstrap.cjs');

bootstrap({ redis: true, ferretdb: true, chromium: true, schemathesis: true });
// Lint (zero warnings): floating promises, misused promises, `any` across modules.
{
  const started = Date.now();
  const lint = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', '.'], { stdio: 'inherit', cwd: ROOT });
  if (lint.status !== 0) {
    process.stdout.write('lint: failed (eslint above); jest not run\n');
    process.exit(1);
  }
  process.stderr.write(`[setup] eslint clean in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
const results = path.join(ROOT, 'var', 'test-results.json');
fs.mkdirSync(path.dirname(results), { recursive: true });
fs.rmSync(results, { force: true });
const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const res = spawnSync(process.execPath, [jest, '--ci', '--json', `--outputFile=${results}`, ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
let code = res.status === null ? 1 : res.status;
if (fs.existsSync(results)) {
  const r = JSON.parse(fs.readFileSync(results, 'utf8'));
  const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  process.stdout.write(`jest: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`);
  if (failed > 0 && code === 0) code = 1;
} else {
  process.stdout.write('jest: 0 passed, 1 failed (jest wrote no results)\n');
  code = code || 1;
}
process.exit(code);
