import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/env';
import { findProjectRoot } from '../../src/util/project-root';

/**
 * docker-compose.yml is how production starts the app: its environment must satisfy the same
 * configuration schema main.js validates (so `docker compose up` cannot exit at start for a missing
 * or malformed variable), and no secret may have a default.
 */

const compose = fs.readFileSync(path.join(findProjectRoot(), 'docker-compose.yml'), 'utf8');
const doc = YAML.parse(compose) as { services: Record<string, { environment?: Record<string, string | number> }> };

/** What an operator's .env gives: a value for every variable compose requires. */
const operatorEnv: Record<string, string> = {
  PUBLIC_IP: '203.0.113.10',
  PUBLIC_HOSTNAME: 'cc.dealer.example.com',
  TLS_DIR: '/etc/letsencrypt/live/cc.dealer.example.com',
  AUTH_SECRET: 'Q3kX9vTz2WmP8rLc5YbN7hJd4FsA6gEu',
  REDIS_PASSWORD: 'r3d1s-pa55-w0rd-long',
  MONGO_PASSWORD: 'm0ng0-pa55-w0rd-long',
  DRACHTIO_SECRET: 'dr4cht10-s3cr3t-long',
  FREESWITCH_SECRET: 'fr33sw1tch-s3cr3t-long',
};

/** Compose's own interpolation: ${X}, ${X:?message} (required), ${X:-default}. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`compose would refuse to start: ${name} ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

function appEnvironment(env: Record<string, string>): Record<string, string> {
  const raw = doc.services.app?.environment ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v), env)]));
}

test('the app service environment passes the configuration schema: production, FreeSWITCH, external stores', () => {
  const config = loadConfig(appEnvironment(operatorEnv));
  expect(config.env).toBe('production');
  expect(config.switch.kind).toBe('freeswitch');
  expect(config.redisUrl).toMatch(/^redis:\/\/:r3d1s-pa55-w0rd-long@redis:6379/);
  expect(config.mongodbUri).toContain('@mongo:27017/dcc');
  expect(config.demoSeed).toBe(false);
  expect(config.sip.wsUri).toBe('wss://cc.dealer.example.com:8443');
  expect(config.recordings?.localDir).toBe('/recordings');
  if (config.switch.kind === 'freeswitch') {
    expect(config.switch.drachtio).toEqual({ host: 'drachtio', port: 9022, secret: 'dr4cht10-s3cr3t-long' });
    expect(config.switch.freeswitch).toMatchObject({ host: 'freeswitch', port: 8021, secret: 'fr33sw1tch-s3cr3t-long' });
  }
});

test('compose refuses to start without each secret: none has a default', () => {
  const secrets = [...new Set([...compose.matchAll(/\$\{([A-Z0-9_]*(?:SECRET|PASSWORD|TOKEN)[A-Z0-9_]*)(:[?-][^}]*)?\}/g)].map((m) => ({ name: m[1] as string, op: m[2] ?? '' })).map((s) => JSON.stringify(s)))].map((s) => JSON.parse(s) as { name: string; op: string });
  expect(secrets.length).toBeGreaterThan(4);
  for (const s of secrets) {
    // `${X:-}` leaves an optional token unset; a secret with a value as its default would be one every deployment shares
    expect({ ...s, hasDefault: /^:-./.test(s.op) }).toMatchObject({ hasDefault: false });
  }
  for (const name of ['AUTH_SECRET', 'REDIS_PASSWORD', 'MONGO_PASSWORD', 'DRACHTIO_SECRET', 'FREESWITCH_SECRET']) {
    const without = { ...operatorEnv };
    delete without[name];
    expect(() => {
      for (const service of Object.values(doc.services)) for (const v of Object.values(service.environment ?? {})) interpolate(String(v), without);
      interpolate(compose, without);
    }).toThrow(new RegExp(`compose would refuse to start: ${name}`));
  }
});
