'use strict';
/**
 * Builds the web app (agent-ui/, Vite) into agent-ui/dist when any of its sources changed: skipped when
 * the last build's stamp is newer than every source file (agent-ui/, the shared contract in
 * src/shared, package-lock.json). Node built-ins only; run by bootstrap (npm start, npm test, benches).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const UI = path.join(ROOT, 'agent-ui');
const DIST = path.join(UI, 'dist');
const STAMP = path.join(DIST, '.build-stamp');

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of fs.readdirSync(p)) {
    if (name === 'dist' || name === 'node_modules') continue;
    max = Math.max(max, newest(path.join(p, name)));
  }
  return max;
}

function sourcesNewest() {
  return Math.max(newest(UI), newest(path.join(ROOT, 'src', 'shared')), newest(path.join(ROOT, 'package-lock.json')));
}

/** @returns {{ built: boolean, ms: number }} */
function buildUi({ force = false, say = (m) => process.stderr.write(`[setup] ${m}\n`) } = {}) {
  const stamp = fs.existsSync(STAMP) ? fs.statSync(STAMP).mtimeMs : 0;
  if (!force && stamp > 0 && stamp >= sourcesNewest() && fs.existsSync(path.join(DIST, 'index.html'))) return { built: false, ms: 0 };
  const started = Date.now();
  say('building the web app (vite build agent-ui)');
  const res = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(UI, 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  if (res.status !== 0) throw new Error(`vite build failed with exit code ${res.status}`);
  fs.writeFileSync(STAMP, new Date().toISOString());
  const ms = Date.now() - started;
  say(`web app built in ${(ms / 1000).toFixed(1)} s`);
  return { built: true, ms };
}

module.exports = { buildUi };

if (require.main === module) {
  try {
    buildUi({ force: process.argv.includes('--force') });
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
