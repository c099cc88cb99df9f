'use strict';
// `npm run bench:<name>`: set up what is missing, compile, and run dist/bench/<name>.bench.js.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { bootstrap, ROOT } = require('./bootstrap.cjs');

const name = process.argv[2];
if (!name) {
  process.stderr.write('usage: node scripts/bench.cjs <name>\n');
  process.exit(2);
}
// the desk bench drives the web app in Chromium
bootstrap({ redis: true, ferretdb: true, chromium: name === 'desk' });
const res = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bench', `${name}.bench.js`), ...process.argv.slice(3)], { stdio: 'inherit', cwd: ROOT });
process.exit(res.status === null ? 1 : res.status);
