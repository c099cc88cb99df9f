'use strict';
/**
 * Setup path shared by `npm start` and `npm test`: makes a fresh clone runnable.
 * Uses only Node built-ins, because it runs before `npm ci`.
 *  - node_modules: installed from package-lock.json when missing or older than it
 *  - redis-server: Debian package (apt-get) when missing, or the exact command to run
 *  - ferretdb (v1, SQLite backend): built from its Go module into .tools/ when missing
 *  - espeak-ng + sox (Debian packages) and the prompt audio built from ivr/prompts.yaml
 *  - Chromium (Debian package; tests drive the agent desk in it with playwright-core): its path in CHROMIUM_PATH
 *  - schemathesis (PyPI, pinned in package.json) in a virtualenv under .tools/, for the API conformance test
 *  - TypeScript: `tsc` (incremental) into dist/
 *  - the web app (agent-ui/, Vite) into agent-ui/dist when its sources changed (scripts/build-ui.cjs)
 *  - with Chromium: Debian's fonts-noto-cjk, so the desk's Chinese renders in headless screenshots
 * Every step is idempotent and prints what it does on stderr.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const EMBEDDED = require(path.join(ROOT, 'package.json')).embedded;
const FERRETDB_MODULE = EMBEDDED.ferretdbModule;
const FERRETDB_VERSION = EMBEDDED.ferretdbVersion;
const FERRETDB_TOOL = path.join(ROOT, EMBEDDED.toolsDir, `ferretdb-${FERRETDB_VERSION}`);
const SCHEMATHESIS_VERSION = EMBEDDED.schemathesisVersion;
const SCHEMATHESIS_VENV = path.join(ROOT, EMBEDDED.toolsDir, `schemathesis-${SCHEMATHESIS_VERSION}`);
const SCHEMATHESIS_BIN = path.join(SCHEMATHESIS_VENV, 'bin', 'st');

class SetupError extends Error {}

function say(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const started = Date.now();
  const res = spawnSync(cmd, args, { stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', cwd: opts.cwd || ROOT, env: { ...process.env, ...(opts.env || {}) }, encoding: 'utf8' });
  if (res.error) throw new SetupError(`${cmd} could not start: ${res.error.message}`);
  if (res.status !== 0) throw new SetupError(`${cmd} ${args.join(' ')} failed with exit code ${res.status}`);
  if (!opts.quiet) say(`${cmd} ${args.slice(0, 3).join(' ')} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return res.stdout;
}

function which(bin) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNodeModules() {
  const lock = path.join(ROOT, 'package-lock.json');
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (mtime(installed) >= mtime(lock) && mtime(installed) > 0) return;
  say('installing npm dependencies from package-lock.json');
  // Not `npm ci`: the npm 11 here writes lock files without the other platforms' optional native
  // packages, and its own `npm ci` then refuses them. `install --no-save` installs exactly the
  // locked versions and never rewrites the lock file.
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund']);
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Debian packages, installed in one apt-get run when any is missing (root only). */
function ensureDebianPackages(packages) {
  const missing = packages.filter((p) => !which(p.bin));
  if (missing.length === 0) return [];
  const names = missing.map((p) => p.pkg);
  const cmd = `apt-get update && apt-get install -y ${names.join(' ')}`;
  if (!isRoot() || !which('apt-get')) return missing.map((p) => ({ ...p, hint: `sudo sh -c '${cmd}'` }));
  say(`installing ${names.join(', ')} (Debian packages)`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...names], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  // The redis-server package starts a system service on 6379; the project never uses it, it starts its own.
  return [];
}

function ensureRedisServer() {
  if (process.env.REDIS_SERVER_BIN) return;
  const [missing] = ensureDebianPackages([{ bin: 'redis-server', pkg: 'redis-server' }]);
  if (missing) throw new SetupError(`redis-server is not installed; run: ${missing.hint}  (or set REDIS_URL to an existing Redis)`);
}

/** Prompt audio is for FreeSWITCH; the simulated switch runs without it, so a missing tool only warns. */
function ensurePromptAudio() {
  const missing = ensureDebianPackages([
    { bin: 'espeak-ng', pkg: 'espeak-ng' },
    { bin: 'sox', pkg: 'sox' },
  ]);
  if (missing.length > 0) {
    say(`prompt audio not built (${missing.map((m) => m.bin).join(', ')} missing); run: ${missing[0].hint} then npm run build:prompts`);
    return;
  }
  const started = Date.now();
  let r;
  try {
    r = require('./build-prompts.cjs').buildPrompts();
  } catch (err) {
    throw new SetupError(`prompt audio: ${err.message}`);
  }
  if (r.built > 0 || r.removed > 0) say(`prompt audio: ${r.built} built, ${r.kept} unchanged, ${r.removed} removed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The embedded FerretDB keeps its data in PostgreSQL (src/embedded/embedded-postgres.ts): Debian's postgresql. */
function ensurePostgres() {
  if (process.env.POSTGRES_BIN_DIR || process.env.EMBEDDED_DB_BACKEND === 'sqlite' || process.env.MONGODB_URI) return;
  const root = '/usr/lib/postgresql';
  const installed = fs.existsSync(root) && fs.readdirSync(root).some((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')));
  if (installed || which('initdb')) return;
  const [missing] = ensureDebianPackages([{ bin: 'initdb', pkg: 'postgresql' }]);
  if (missing && !fs.existsSync(root)) throw new SetupError(`PostgreSQL is not installed (the embedded database stores its data in it); run: ${missing.hint}  (or set EMBEDDED_DB_BACKEND=sqlite, or MONGODB_URI)`);
}

function ensureFerretDb() {
  ensurePostgres();
  if (process.env.FERRETDB_BIN || fs.existsSync(FERRETDB_TOOL)) return;
  const exact = `go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION}, copy its folder, write ${FERRETDB_VERSION} into build/version/version.txt, then go build -o ${FERRETDB_TOOL} ./cmd/ferretdb`;
  if (!which('go')) throw new SetupError(`FerretDB needs Go to build: install Go (https://go.dev/dl), then rerun; or ${exact}; or set MONGODB_URI to an existing MongoDB`);
  say(`building FerretDB ${FERRETDB_VERSION} from its Go module (first run only, about 2 minutes)`);
  const info = JSON.parse(run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { capture: true, cwd: os.tmpdir() }));
  if (!info.Dir) throw new SetupError(`go mod download gave no folder for ${FERRETDB_MODULE}@${FERRETDB_VERSION}: ${info.Error || 'unknown error'}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretdb-src-'));
  try {
    fs.cpSync(info.Dir, work, { recursive: true });
    run('chmod', ['-R', 'u+w', work], { quiet: true });
    // FerretDB embeds its version from this file, which `git describe` fills in a release build.
    fs.writeFileSync(path.join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    fs.mkdirSync(path.dirname(FERRETDB_TOOL), { recursive: true });
    const partial = `${FERRETDB_TOOL}.partial`;
    run('go', ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], { cwd: work, env: { GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } });
    fs.renameSync(partial, FERRETDB_TOOL);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function buildTypeScript() {
  say('type-checking and compiling (tsc)');
  run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')]);
}

/** SIPp (Debian package sip-tester) plays the SIP scenarios of test/sipp against a real stack. */
function ensureSipp() {
  const [missing] = ensureDebianPackages([{ bin: 'sipp', pkg: 'sip-tester' }]);
  if (missing) throw new SetupError(`sipp is not installed; run: ${missing.hint}`);
}

/** Chromium for the agent-desk tests: CHROMIUM_PATH when given, else the Debian package's binary. */
function ensureChromium() {
  if (process.env.CHROMIUM_PATH && fs.existsSync(process.env.CHROMIUM_PATH)) return;
  const [missing] = ensureDebianPackages([{ bin: 'chromium', pkg: 'chromium' }]);
  if (missing) throw new SetupError(`chromium is not installed; run: ${missing.hint} (or set CHROMIUM_PATH)`);
  process.env.CHROMIUM_PATH = which('chromium');
}

/** Chinese fonts for headless Chromium (screenshots of the desk); without them CJK text renders as boxes. */
const CJK_FONT = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
function ensureCjkFonts() {
  if (fs.existsSync(CJK_FONT)) return;
  if (!isRoot() || !which('apt-get')) {
    say("Chinese fonts missing (screenshots show boxes); run: sudo sh -c 'apt-get update && apt-get install -y fonts-noto-cjk'");
    return;
  }
  say('installing fonts-noto-cjk (Debian package)');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'fonts-noto-cjk'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

function buildWebApp() {
  try {
    require('./build-ui.cjs').buildUi({ say });
  } catch (err) {
    throw new SetupError(`web app: ${err.message}`);
  }
}

/**
 * schemathesis (the OpenAPI conformance fuzzer the jest suite runs against the real server), at the
 * version package.json pins, in its own virtualenv: .tools/schemathesis-<version>/bin/st.
 */
function ensureSchemathesis() {
  const done = path.join(SCHEMATHESIS_VENV, '.installed');
  if (fs.existsSync(done)) return;
  let python = which('python3');
  if (!python || spawnSync(python, ['-m', 'venv', '--help'], { stdio: 'ignore' }).status !== 0) {
    if (!isRoot() || !which('apt-get')) throw new SetupError("schemathesis needs Python 3 with venv; run: sudo sh -c 'apt-get update && apt-get install -y python3-venv'");
    say('installing python3-venv (Debian package)');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'python3-venv'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
    python = which('python3');
  }
  say(`installing schemathesis ${SCHEMATHESIS_VERSION} (PyPI) into ${path.relative(ROOT, SCHEMATHESIS_VENV)}`);
  // a half-made virtualenv (an interrupted install) is started over
  fs.rmSync(SCHEMATHESIS_VENV, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(SCHEMATHESIS_VENV), { recursive: true });
  run(python, ['-m', 'venv', SCHEMATHESIS_VENV]);
  run(path.join(SCHEMATHESIS_VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  fs.writeFileSync(done, `${SCHEMATHESIS_VERSION}\n`);
}

/**
 * @param {{ redis: boolean, ferretdb: boolean, sipp?: boolean, chromium?: boolean, schemathesis?: boolean }} need which embedded servers and tools must be available
 */
function bootstrap(need) {
  try {
    ensureNodeModules();
    if (need.redis) ensureRedisServer();
    if (need.ferretdb) ensureFerretDb();
    if (need.sipp) ensureSipp();
    if (need.chromium) {
      ensureChromium();
      ensureCjkFonts();
    }
    if (need.schemathesis) ensureSchemathesis();
    ensurePromptAudio();
    buildTypeScript();
    buildWebApp();
  } catch (err) {
    if (err instanceof SetupError) {
      process.stderr.write(`setup failed: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

module.exports = { bootstrap, which, ROOT, FERRETDB_TOOL, SCHEMATHESIS_BIN };
