import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findProjectRoot } from '../../src/util/project-root';

/** Without a real drachtio-server and FreeSWITCH, `npm run test:realstack` says what it needs and exits 0 having run nothing. */
test('test:realstack skips cleanly, naming the missing variables', () => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, FREESWITCH_HOST: '127.0.0.1' };
  const res = spawnSync(process.execPath, [path.join(findProjectRoot(), 'scripts', 'test-realstack.cjs')], { env, encoding: 'utf8' });
  expect(res.status).toBe(0);
  expect(res.stdout).toContain('test:realstack skipped: DRACHTIO_HOST, DRACHTIO_SECRET, FREESWITCH_SECRET not set');
  expect(res.stdout).toContain('nothing was run');
});
