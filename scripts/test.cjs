'use strict';
// `npm test`: set up what is missing (tests always start their own redis-server and FerretDB),
// type-check everything, lint, run jest, and end with one plain summary line.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { bootstrap, ROOT } = require('./bootstrap.cjs');

bootstrap({ redis: true, ferretdb: true, chromium: true, schemathesis: true });
// The web app's TypeScript (agent-ui/, DOM and JSX) is checked on its own project.
{
  const started = Date.now();
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'agent-ui', 'tsconfig.json')], { stdio: 'inherit', cwd: ROOT });
  if (tsc.status !== 0) {
    process.stdout.write('tsc (agent-ui): failed; tests not run\n');
    process.exit(1);
  }
  process.stderr.write(`[setup] agent-ui type-checked in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
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
// The web app's component logic: vitest (jsdom).
const vitestResults = path.join(ROOT, 'var', 'vitest-results.json');
fs.mkdirSync(path.dirname(vitestResults), { recursive: true });
fs.rmSync(vitestResults, { force: true });
const vitest = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', path.join(ROOT, 'agent-ui', 'vite.config.mts'), '--reporter=default', '--reporter=json', `--outputFile.json=${vitestResults}`], {
  stdio: 'inherit',
  cwd: ROOT,
  env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
});
let ui = { passed: 0, failed: 1, skipped: 0 };
if (fs.existsSync(vitestResults)) {
  const v = JSON.parse(fs.readFileSync(vitestResults, 'utf8'));
  ui = { passed: v.numPassedTests, failed: v.numFailedTests + (v.numFailedTestSuites || 0), skipped: v.numPendingTests + (v.numTodoTests || 0) };
}
if (vitest.status !== 0 && ui.failed === 0) ui.failed = 1;
process.stdout.write(`vitest: ${ui.passed} passed, ${ui.failed} failed, ${ui.skipped} skipped\n`);

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
  // the closing line counts both runners
  process.stdout.write(`tests: ${r.numPassedTests + ui.passed} passed, ${failed + ui.failed} failed, ${r.numPendingTests + r.numTodoTests + ui.skipped} skipped\n`);
} else {
  process.stdout.write('jest: 0 passed, 1 failed (jest wrote no results)\n');
  code = code || 1;
}
if (ui.failed > 0 && code === 0) code = 1;
process.exit(code);
