import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProjectRoot } from '../../src/util/project-root';

let runs = 0;
/** SIPp processes still running: a failed test must not leave them holding their ports for the next one. */
const running = new Set<import('node:child_process').ChildProcess>();

/** Kills every SIPp process this test file started that is still running (call it in afterEach). */
export function killStraySipp(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** What the customer phones say, spoken by espeak-ng into raw 8 kHz A-law (SIPp rtp_stream, 20 ms packets). */
const SPOKEN: Record<string, string> = {
  // a person answering, then listening (about 1.5 s)
  'hello.alaw': '喂，您好',
  // a carrier's voicemail greeting that talks on (about 14 s)
  'greeting.alaw': '您好，您拨打的用户暂时无法接通，请在提示音后留言，留言结束请挂机，谢谢您的来电。',
};

/** The folder SIPp runs in: the scenarios name their audio relative to it. */
function audioDir(): string {
  const dir = path.join(os.tmpdir(), 'dcc-sipp-audio');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(SPOKEN)) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) continue;
    const wav = `${file}.wav`;
    execFileSync('espeak-ng', ['-v', 'cmn', '-w', wav, text]);
    execFileSync('sox', [wav, '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'al', `${file}.partial`]);
    fs.renameSync(`${file}.partial`, file);
  }
  return dir;
}

/**
 * Runs one SIPp scenario from test/sipp; resolves with its exit code (0: the scenario ran as written) and output.
 * With SIPP_TRACE_DIR set, every message SIPp sends and receives is written there (one file per run).
 */
export function sipp(scenario: string, args: string[], timeoutMs = 60_000): { done: Promise<{ code: number; output: string }>; kill: () => void } {
  const file = path.join(findProjectRoot(), 'test', 'sipp', scenario);
  const traceDir = process.env.SIPP_TRACE_DIR;
  const trace = traceDir ? ['-trace_msg', '-message_file', path.join(traceDir, `${path.basename(scenario, '.xml')}-${process.pid}-${++runs}.log`)] : [];
  const child = spawn('sipp', ['-sf', file, '-m', '1', '-nostdin', '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error', ...trace, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: audioDir() });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const done = new Promise<{ code: number; output: string }>((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, output: output.slice(-4000) })));
  return { done, kill: () => child.kill('SIGKILL') };
}
