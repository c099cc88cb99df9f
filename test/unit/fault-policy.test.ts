import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findProjectRoot } from '../../src/util/project-root';

/**
 * The process-wide policy main.js installs: a promise rejection nobody handled is logged (naming the
 * call when the error does) and counted, and the process — with every call it holds — carries on.
 * Node's default would end the process. Run in a child process of its own, as main.js runs it.
 */

const dist = path.join(findProjectRoot(), 'dist', 'src');

test('an unhandled rejection is logged with its call id, counted, and does not end the process', () => {
  const script = `
    const { installFaultPolicy } = require(${JSON.stringify(path.join(dist, 'process', 'fault-policy.js'))});
    const { createLogger } = require(${JSON.stringify(path.join(dist, 'log.js'))});
    let counted = 0;
    installFaultPolicy(createLogger('info'), () => counted++);
    Promise.reject(Object.assign(new Error('MongoNetworkError: connection closed'), { callId: '6f1c2b0e-call' }));
    Promise.reject(new Error('no call named'));
    setTimeout(() => { process.stdout.write('still serving, counted ' + counted + '\\n'); process.exit(0); }, 200);
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  const lines = run.stdout.trim().split('\n');
  const logged = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; callId?: string; err?: { message: string } });
  expect(logged).toEqual([
    expect.objectContaining({ msg: 'unhandled promise rejection; the process carries on', callId: '6f1c2b0e-call', err: expect.objectContaining({ message: 'MongoNetworkError: connection closed' }) }),
    expect.objectContaining({ msg: 'unhandled promise rejection; the process carries on', err: expect.objectContaining({ message: 'no call named' }) }),
  ]);
  expect(lines[lines.length - 1]).toBe('still serving, counted 2');
});
