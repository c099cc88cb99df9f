import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log';
import { MissingBinaryError } from './binaries';
import { ChildService } from './child-service';
import { freePort } from './free-port';

/**
 * PostgreSQL as the embedded MongoDB-wire server's storage (FerretDB's postgresql handler): Debian's
 * postgresql started as a child process like Redis, its cluster under the data folder. FerretDB's
 * SQLite backend scans the whole collection for every `_id` lookup; on PostgreSQL every index FerretDB
 * makes (the `_id` one included) gets a GIN twin on the same `_jsonb -> 'field'` expression by an event
 * trigger, since the lookups FerretDB sends (`_jsonb -> $1 @> $2`) can use only such an index, and only
 * with custom plans (plan_cache_mode = force_custom_plan, which makes $1 the field's name at planning).
 */

const HOST = '127.0.0.1';
export const PG_USER = 'ferret';
export const PG_DATABASE = 'ferretdb';

/** The folder with initdb/postgres/psql: POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function postgresBinDir(override: string | undefined): string {
  if (override) return override;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions[0]) return path.join(root, versions[0], 'bin');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  throw new MissingBinaryError("PostgreSQL not found (the embedded database stores its data in it): run 'npm start' once as root (it installs the Debian package), or apt-get install -y postgresql; or set POSTGRES_BIN_DIR, EMBEDDED_DB_BACKEND=sqlite or MONGODB_URI");
}

/** PostgreSQL refuses to run as root: then the cluster belongs to, and the server runs as, the `postgres` system user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new MissingBinaryError('running as root, PostgreSQL needs the postgres system user (apt-get install -y postgresql creates it)');
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(dir: string, who: { uid: number; gid: number }): void {
  fs.chownSync(dir, who.uid, who.gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, who);
    else fs.chownSync(p, who.uid, who.gid);
  }
}

const SETUP_SQL = `
CREATE OR REPLACE FUNCTION cc_gin_twin() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  obj record;
  def text;
  field text;
  tbl regclass;
BEGIN
  FOR obj IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    SELECT pg_get_indexdef(obj.objid), i.indrelid::regclass INTO def, tbl FROM pg_index i WHERE i.indexrelid = obj.objid;
    CONTINUE WHEN def IS NULL OR def NOT LIKE '%USING btree%';
    field := substring(def FROM $re$USING btree \\(\\(\\(_jsonb -> '([^']+)'::text\\)$re$);
    CONTINUE WHEN field IS NULL;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)', left(replace(obj.object_identity, '.', '_'), 40) || '_' || substr(md5(obj.object_identity), 1, 8) || '_gin', tbl, field);
  END LOOP;
END $fn$;
DROP EVENT TRIGGER IF EXISTS cc_gin_twin;
CREATE EVENT TRIGGER cc_gin_twin ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION cc_gin_twin();
ALTER DATABASE ${PG_DATABASE} SET plan_cache_mode = force_custom_plan;
`;

/** A fresh cluster: copied from one initdb made earlier on this machine (initdb takes seconds), else made now. */
function initCluster(bin: string, dataDir: string, who: { uid: number; gid: number } | undefined): void {
  const build = fs.statSync(path.join(bin, 'postgres')).size; // names the server build the template was made by
  const template = path.join(os.tmpdir(), `dcc-pg-initdb-${path.basename(path.dirname(bin))}-${build}-${who?.uid ?? process.getuid?.() ?? 'u'}`);
  if (!fs.existsSync(path.join(template, 'PG_VERSION'))) {
    const partial = `${template}.${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    if (who) fs.chownSync(partial, who.uid, who.gid);
    execFileSync(path.join(bin, 'initdb'), ['-D', partial, '-U', PG_USER, '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'], { stdio: 'pipe', ...(who ?? {}) });
    try {
      fs.renameSync(partial, template);
    } catch {
      fs.rmSync(partial, { recursive: true, force: true }); // another run made it meanwhile
    }
  }
  fs.cpSync(template, dataDir, { recursive: true });
  if (who) chownTree(dataDir, who);
  fs.chmodSync(dataDir, 0o700);
}

export async function startEmbeddedPostgres(o: { varDir: string; binDir: string | undefined; log: Logger }): Promise<{ service: ChildService; url: string }> {
  const bin = postgresBinDir(o.binDir);
  const who = runAs();
  const dataDir = path.join(o.varDir, 'postgres');
  const runDir = path.join(o.varDir, 'run');
  fs.mkdirSync(runDir, { recursive: true });
  // the postgres user must be able to reach its folder (a private temporary folder is 0700): traverse only
  if (who) for (let d = path.resolve(o.varDir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = fs.statSync(d).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(d, (mode & 0o7777) | 0o001);
  }
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh) initCluster(bin, dataDir, who);
  // its unix socket in a folder of its own that the server may write
  const socketDir = path.join(o.varDir, 'postgres-socket');
  fs.mkdirSync(socketDir, { recursive: true });
  if (who) fs.chownSync(socketDir, who.uid, who.gid);
  fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true }); // left by a killed run; ChildService stops that one first
  const port = await freePort();
  const service = new ChildService(
    {
      name: 'postgres',
      command: path.join(bin, 'postgres'),
      args: ['-D', dataDir, '-p', String(port), '-c', `listen_addresses=${HOST}`, '-c', `unix_socket_directories=${socketDir}`, '-c', 'plan_cache_mode=force_custom_plan', '-c', 'max_connections=200', '-c', 'shared_buffers=64MB'],
      host: HOST,
      port,
      runDir,
      readyTimeoutMs: 30_000,
      stopSignal: 'SIGINT',
      ...(who ? { runAs: who } : {}),
    },
    o.log,
  );
  await service.start();
  const psql = (db: string, sql: string): string => execFileSync(path.join(bin, 'psql'), ['-h', HOST, '-p', String(port), '-U', PG_USER, '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // the port answers a moment before connections are accepted
  for (let i = 0; ; i++) {
    try {
      psql('postgres', 'SELECT 1');
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (psql('postgres', `SELECT count(*) FROM pg_database WHERE datname = '${PG_DATABASE}'`).trim() === '0') psql('postgres', `CREATE DATABASE ${PG_DATABASE}`);
  psql(PG_DATABASE, SETUP_SQL);
  return { service, url: `postgres://${PG_USER}@${HOST}:${port}/${PG_DATABASE}` };
}
