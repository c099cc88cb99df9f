'use strict';
/**
 * Prompt audio: every id in ivr/prompts.yaml, in each language, spoken by espeak-ng and turned by
 * sox into the format FreeSWITCH plays without transcoding on a G.711 call (8 kHz, mono, 16-bit):
 *   freeswitch/sounds/<language>/<id>.wav
 * and the hold music, freeswitch/sounds/music/hold.wav (synthesised by sox).
 * Incremental: a manifest keeps each file's voice and text; only changed or missing prompts are
 * rebuilt, and files of removed prompts are deleted. Output is build output (git-ignored).
 * Run alone with `npm run build:prompts`; the setup step runs it when espeak-ng and sox are present.
 */
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'ivr', 'prompts.yaml');
const OUT = path.join(ROOT, 'freeswitch', 'sounds');
const MANIFEST = path.join(OUT, '.manifest.json');
/** espeak-ng voice per prompt language. */
const VOICES = { 'zh-CN': 'cmn', en: 'en-us' };

function sh(cmd, args) {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error) throw new Error(`${cmd} could not start: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${res.status}): ${(res.stderr || '').trim()}`);
}

function loadPrompts() {
  const YAML = require('yaml');
  const doc = YAML.parse(fs.readFileSync(SOURCE, 'utf8'));
  if (!doc || typeof doc !== 'object') throw new Error(`${SOURCE}: expected a map of prompt ids`);
  return doc;
}

/** @returns {{ built: number, kept: number, removed: number }} */
function buildPrompts() {
  const prompts = loadPrompts();
  let manifest = {};
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch {
    manifest = {};
  }
  const next = {};
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prompts-'));
  let built = 0;
  let kept = 0;
  try {
    for (const [id, texts] of Object.entries(prompts)) {
      for (const [language, voice] of Object.entries(VOICES)) {
        const text = texts && texts[language];
        if (typeof text !== 'string' || text.trim() === '') throw new Error(`${SOURCE}: prompt "${id}" has no ${language} text`);
        const rel = path.join(language, `${id}.wav`);
        const out = path.join(OUT, rel);
        const hash = crypto.createHash('sha256').update(`${voice}\n${text}`).digest('hex').slice(0, 16);
        next[rel] = hash;
        if (manifest[rel] === hash && fs.existsSync(out)) {
          kept++;
          continue;
        }
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const raw = path.join(tmp, 'raw.wav');
        sh('espeak-ng', ['-v', voice, '-s', language === 'en' ? '160' : '150', '-w', raw, text]);
        sh('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', `${out}.partial.wav`]);
        fs.renameSync(`${out}.partial.wav`, out);
        built++;
      }
    }
    // hold music: a soft, slow arpeggio (C-E-G-E) synthesised by sox, 16 s, looped by FreeSWITCH
    const music = path.join('music', 'hold.wav');
    const musicHash = 'sox-arpeggio-v1';
    next[music] = musicHash;
    if (manifest[music] !== musicHash || !fs.existsSync(path.join(OUT, music))) {
      fs.mkdirSync(path.join(OUT, 'music'), { recursive: true });
      const notes = ['C4', 'E4', 'G4', 'E4'];
      const parts = [];
      for (let i = 0; i < 16; i++) {
        const part = path.join(tmp, `n${i}.wav`);
        sh('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', part, 'synth', '1', 'pluck', notes[i % 4], 'vol', '0.25', 'fade', '0', '1', '0.6']);
        parts.push(part);
      }
      sh('sox', [...parts, path.join(OUT, `${music}.partial.wav`)]);
      fs.renameSync(path.join(OUT, `${music}.partial.wav`), path.join(OUT, music));
      built++;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  let removed = 0;
  for (const rel of Object.keys(manifest)) {
    if (next[rel]) continue;
    fs.rmSync(path.join(OUT, rel), { force: true });
    removed++;
  }
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(MANIFEST, JSON.stringify(next, null, 1));
  return { built, kept, removed };
}

module.exports = { buildPrompts, PROMPTS_OUT: OUT };

if (require.main === module) {
  const started = Date.now();
  try {
    const r = buildPrompts();
    process.stderr.write(`[prompts] ${r.built} built, ${r.kept} unchanged, ${r.removed} removed in ${((Date.now() - started) / 1000).toFixed(1)} s → ${path.relative(ROOT, OUT)}\n`);
  } catch (err) {
    process.stderr.write(`build:prompts failed: ${err.message}\n`);
    process.exit(1);
  }
}
