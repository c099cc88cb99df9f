import { spawn } from 'node:child_process';
import path from 'node:path';
import { findProjectRoot } from '../../src/util/project-root';

/** Runs one SIPp scenario from test/sipp; resolves with its exit code (0: the scenario ran as written) and output. */
export function sipp(scenario: string, args: string[], timeoutMs = 60_000): { done: Promise<{ code: number; output: string }>; kill: () => void } {
  const file = path.join(findProjectRoot(), 'test', 'sipp', scenario);
  const child = spawn('sipp', ['-sf', file, '-m', '1', '-nostdin', '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const done = new Promise<{ code: number; output: string }>((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, output: output.slice(-4000) })));
  return { done, kill: () => child.kill('SIGKILL') };
}
