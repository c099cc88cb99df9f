import { ConfigError, loadConfig } from '../../src/config/env';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('with nothing set, the embedded defaults apply: simulated switch, port 3000, embedded Redis and FerretDB, demo data', () => {
  const c = loadConfig({});
  expect(c.http).toEqual({ host: '127.0.0.1', port: 3000 });
  expect(c.redisUrl).toBeUndefined();
  expect(c.mongodbUri).toBeUndefined();
  expect(c.switch).toEqual({ kind: 'sim', seed: 1 });
  expect(c.demoSeed).toBe(true);
  expect(c.varDir).toMatch(/var$/);
});

test('a malformed MONGODB_URI is one line naming the variable', () => {
  const msg = errorOf({ MONGODB_URI: 'localhost:27017/dcc' });
  expect(msg).toMatch(/^invalid configuration: MONGODB_URI is not a MongoDB connection string/);
  expect(msg).not.toContain('\n');
});

test('every bad variable is named in the one line', () => {
  const msg = errorOf({ PORT: '70000', REDIS_URL: 'http://x', LOG_LEVEL: 'loud', MONGODB_URI: 'mongodb://db.example:27017/dcc' });
  expect(msg).toContain('PORT must be between 1 and 65535');
  expect(msg).toContain('REDIS_URL must be a redis:// or rediss:// URL');
  expect(msg).toContain('LOG_LEVEL');
  expect(msg).not.toContain('MONGODB_URI');
  expect(msg).not.toContain('\n');
});

test('the real switch needs its addresses and secrets; production needs its stores and an auth secret', () => {
  expect(errorOf({ SWITCH: 'freeswitch' })).toMatch(/DRACHTIO_HOST is required when SWITCH=freeswitch.*FREESWITCH_SECRET is required/);
  const prod = errorOf({ NODE_ENV: 'production' });
  expect(prod).toContain('AUTH_SECRET is required when NODE_ENV=production');
  expect(prod).toContain('REDIS_URL is required');
  expect(prod).toContain('MONGODB_URI is required');
  expect(errorOf({ AUTH_SECRET: 'short' })).toContain('AUTH_SECRET must be at least 16 characters');
});

test('production with everything set: no demo data unless asked', () => {
  const c = loadConfig({ NODE_ENV: 'production', AUTH_SECRET: 'a'.repeat(32), REDIS_URL: 'redis://redis:6379', MONGODB_URI: 'mongodb://app:pw@mongo:27017/dcc?authSource=admin', PORT: '8080' });
  expect(c.demoSeed).toBe(false);
  expect(c.http.port).toBe(8080);
  expect(c.mongodbUri).toBe('mongodb://app:pw@mongo:27017/dcc?authSource=admin');
});

test('recordings are handled after the call only on the real switch with the shared folder set; a bad archive URL or retention is named', () => {
  const real = { SWITCH: 'freeswitch', DRACHTIO_HOST: 'drachtio', DRACHTIO_SECRET: 's', FREESWITCH_HOST: 'fs', FREESWITCH_SECRET: 's' };
  expect(loadConfig(real).recordings).toBeUndefined();
  expect(loadConfig({ ...real, RECORDINGS_LOCAL_DIR: '/recordings', RECORDING_UPLOAD_URL: '' }).recordings).toEqual({ switchDir: '/usr/local/freeswitch/recordings', localDir: '/recordings', upload: undefined, retentionDays: 180 });
  expect(loadConfig({ ...real, RECORDINGS_LOCAL_DIR: '/recordings', RECORDING_UPLOAD_URL: 'https://archive.example.com/rec', RECORDING_UPLOAD_TOKEN: 't', RECORDING_RETENTION_DAYS: '0' }).recordings).toMatchObject({ upload: { url: 'https://archive.example.com/rec', token: 't' }, retentionDays: 0 });
  expect(loadConfig({ RECORDINGS_LOCAL_DIR: '/recordings' }).recordings).toBeUndefined(); // the simulated switch writes no files
  const msg = errorOf({ ...real, RECORDING_UPLOAD_URL: 'ftp://x', RECORDING_RETENTION_DAYS: '-1' });
  expect(msg).toContain('RECORDING_UPLOAD_URL must be an http(s) URL');
  expect(msg).toContain('RECORDING_RETENTION_DAYS must be 0 (keep) or more');
});

test("production refuses to start with .env.example's secrets or a short AUTH_SECRET, in one line", () => {
  const stores = { REDIS_URL: 'redis://redis:6379', MONGODB_URI: 'mongodb://app:pw@mongo:27017/dcc?authSource=admin' };
  const example = errorOf({ NODE_ENV: 'production', ...stores, AUTH_SECRET: 'change-me-to-32-random-characters', DRACHTIO_SECRET: 'change-me' });
  expect(example).toMatch(/^invalid configuration: /);
  expect(example).toContain('AUTH_SECRET is the example value from .env.example: set a secret of your own');
  expect(example).toContain('DRACHTIO_SECRET is the example value from .env.example');
  expect(example).not.toContain('\n');
  expect(errorOf({ NODE_ENV: 'production', ...stores, AUTH_SECRET: 'only-twenty-characters' })).toBe('invalid configuration: AUTH_SECRET must be at least 32 characters when NODE_ENV=production');
  // outside production the example values are tolerated (a developer's machine)
  expect(loadConfig({ AUTH_SECRET: 'change-me-to-32-random-characters' }).auth.secret).toBe('change-me-to-32-random-characters');
});

test('access tokens last 15 minutes by default, refresh tokens 12 hours; both configurable', () => {
  expect(loadConfig({}).auth).toMatchObject({ tokenTtlMs: 15 * 60_000, refreshTtlMs: 12 * 3600_000, loginLimits: { perUser: 5, perAddress: 50, windowMs: 15 * 60_000 } });
  expect(loadConfig({ AUTH_TOKEN_TTL_MS: '60000', AUTH_REFRESH_TTL_MS: '3600000', LOGIN_MAX_FAILURES_PER_USER: '3' }).auth).toMatchObject({ tokenTtlMs: 60_000, refreshTtlMs: 3600_000, loginLimits: { perUser: 3 } });
});
