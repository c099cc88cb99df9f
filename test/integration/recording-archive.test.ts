import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';
import mongoose from 'mongoose';
import { RealClock } from '../../src/clock/clock';
import { createLogger } from '../../src/log';
import { RecordingArchive } from '../../src/recordings/recording-archive';
import { bindModels, type Models } from '../../src/store/models';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * After a call: recordings are uploaded to an HTTP archive (PUT, bearer token) and the local copy is
 * removed; the retention sweep deletes old ones wherever they are; a missing file is reported, not retried.
 */

class Archive {
  readonly stored = new Map<string, Buffer>();
  readonly deleted: string[] = [];
  failNext = 0;
  auth: string[] = [];
  private constructor(private readonly server: http.Server) {}
  static async start(): Promise<Archive> {
    let self: Archive | undefined;
    const server = http.createServer((req, res) => {
      const a = self as Archive;
      a.auth.push(req.headers.authorization ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (a.failNext > 0) {
          a.failNext--;
          res.writeHead(503).end('busy');
          return;
        }
        if (req.method === 'PUT') a.stored.set(req.url ?? '', Buffer.concat(chunks));
        if (req.method === 'DELETE') a.deleted.push(req.url ?? '');
        res.writeHead(req.method === 'PUT' ? 201 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new Archive(server);
    return self;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/rec`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const prefix = `t-rec-${randomUUID().slice(0, 8)}`;
let archive: Archive;
let rec: RecordingArchive;
let models: Models;
let conn: mongoose.Connection;
let localDir: string;
const switchDir = '/usr/local/freeswitch/recordings';

/** A real 2-second stereo WAV where FreeSWITCH would have put it (seen through the shared volume). */
function recording(callId: string, day = '2026/11/24'): { file: string; local: string } {
  const local = path.join(localDir, day, `${callId}.wav`);
  fs.mkdirSync(path.dirname(local), { recursive: true });
  execFileSync('sox', ['-n', '-r', '8000', '-c', '2', '-b', '16', local, 'synth', '2', 'sine', '400']);
  return { file: `${switchDir}/${day}/${callId}.wav`, local };
}

function startArchive(retentionDays = 90, now = () => Date.now()): RecordingArchive {
  const clock = new RealClock();
  clock.now = now;
  const a = new RecordingArchive({
    redisUrl: testServices().redisUrl,
    prefix: `${prefix}-${randomUUID().slice(0, 4)}`,
    switchDir,
    localDir,
    upload: { url: archive.url, token: 'archive-token', timeoutMs: 2000 },
    retentionDays,
    sweepEveryMs: 3600_000,
    backoff: { baseMs: 50, maxMs: 200 },
    attempts: 5,
    clock,
    models,
    log: createLogger('silent'),
  });
  return a;
}

beforeEach(async () => {
  archive = await Archive.start();
  localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-archive-'));
  conn = await mongoose.createConnection(`${testServices().mongoBase}/t_rec_${randomUUID().slice(0, 8)}`).asPromise();
  models = bindModels(conn);
});

afterEach(async () => {
  await rec.stop();
  await archive.stop();
  await conn.dropDatabase();
  await conn.close();
  fs.rmSync(localDir, { recursive: true, force: true });
  const admin = new IORedis(testServices().redisUrl);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length) await admin.del(...keys);
  admin.disconnect();
});

test('a closed recording is uploaded once, byte for byte, through an archive outage, and the local copy goes', async () => {
  rec = startArchive();
  await rec.start();
  archive.failNext = 2;
  const callId = randomUUID();
  const { file, local } = recording(callId);
  const bytes = fs.readFileSync(local);
  await rec.recorded(callId, file, new Date());
  await rec.recorded(callId, file, new Date()); // RECORD_STOP seen twice
  const entry = await eventually(async () => {
    const e = await models.RecordingArchive.findById(callId).lean();
    return e?.uploadedAt ? e : undefined;
  }, 'the upload');
  expect(entry.uploadedTo).toBe(`${archive.url}/2026/11/24/${callId}.wav`);
  expect(archive.stored.get(`/rec/2026/11/24/${callId}.wav`)?.equals(bytes)).toBe(true);
  expect(archive.stored.size).toBe(1);
  expect(archive.auth.every((a) => a === 'Bearer archive-token')).toBe(true);
  // the entry is written first, then the local copy removed (a crash in between leaves a copy the sweep removes)
  await eventually(() => !fs.existsSync(local), 'the local copy removed');
});

test('a recording whose file is missing is reported on its entry, not retried forever', async () => {
  rec = startArchive();
  await rec.start();
  const callId = randomUUID();
  await rec.recorded(callId, `${switchDir}/2026/11/24/${callId}.wav`, new Date());
  const entry = await eventually(async () => {
    const e = await models.RecordingArchive.findById(callId).lean();
    return e?.error ? e : undefined;
  }, 'the error on the entry');
  expect(entry.error).toMatch(/no such file$/);
  expect(entry.uploadedAt).toBeUndefined();
  expect(archive.stored.size).toBe(0);
});

test('the retention sweep deletes recordings past their retention, archived or not, and keeps newer ones', async () => {
  const day = 86_400_000;
  let now = Date.now();
  rec = startArchive(90, () => now);
  await rec.start();
  const old = randomUUID();
  const oldFile = recording(old, '2026/08/01');
  await rec.recorded(old, oldFile.file, new Date(now - 100 * day));
  await eventually(async () => (await models.RecordingArchive.findById(old).lean())?.uploadedAt, 'the old one archived');
  const oldLocalOnly = randomUUID();
  const local = recording(oldLocalOnly, '2026/08/02');
  await models.RecordingArchive.create({ _id: oldLocalOnly, file: local.file, stoppedAt: new Date(now - 95 * day) });
  const recent = randomUUID();
  const recentFile = recording(recent, '2026/11/20');
  await models.RecordingArchive.create({ _id: recent, file: recentFile.file, stoppedAt: new Date(now - 10 * day) });

  expect(await rec.sweepNow()).toBe(2);
  expect(archive.deleted).toEqual([`/rec/2026/08/01/${old}.wav`]);
  expect(fs.existsSync(local.local)).toBe(false);
  expect(fs.existsSync(recentFile.local)).toBe(true);
  expect((await models.RecordingArchive.findById(old).lean())?.purgedAt).toBeInstanceOf(Date);
  expect((await models.RecordingArchive.findById(recent).lean())?.purgedAt).toBeUndefined();
  now += 100 * day;
  expect(await rec.sweepNow()).toBe(1); // the recent one, its turn come
  expect(await rec.sweepNow()).toBe(0);
});

test('a recording nobody reported (its RECORD_STOP went to an instance that died) is found in the folder, uploaded and later purged', async () => {
  const now = Date.UTC(2026, 10, 25, 3, 0, 0);
  let clockNow = now;
  rec = startArchive(90, () => clockNow);
  await rec.start();
  const lost = randomUUID();
  const { local } = recording(lost, '2026/11/25');
  const old = new Date(now - 5 * 60_000);
  fs.utimesSync(local, old, old); // closed five minutes ago
  const writing = randomUUID();
  recording(writing, '2026/11/25'); // still being written: touched just now
  fs.utimesSync(path.join(localDir, '2026/11/25', `${writing}.wav`), new Date(now), new Date(now));
  const reported = randomUUID();
  const known = recording(reported, '2026/11/25');
  fs.utimesSync(known.local, old, old);
  await models.RecordingArchive.create({ _id: reported, file: known.file, stoppedAt: old, uploadedTo: 'elsewhere', uploadedAt: old });
  fs.mkdirSync(path.join(localDir, 'voicemail', '2026-11-25'), { recursive: true });
  fs.writeFileSync(path.join(localDir, 'voicemail', '2026-11-25', 'leg-1.wav'), 'not a call recording');

  expect(await rec.scanNow()).toBe(1);
  const entry = await eventually(async () => {
    const e = await models.RecordingArchive.findById(lost).lean();
    return e?.uploadedAt ? e : undefined;
  }, 'the found recording uploaded');
  expect(entry.stoppedAt?.getTime()).toBe(old.getTime());
  expect(archive.stored.has(`/rec/2026/11/25/${lost}.wav`)).toBe(true);
  expect(await models.RecordingArchive.exists({ _id: writing })).toBeNull();
  expect(await rec.scanNow()).toBe(0); // found once

  // its retention runs from when it was closed
  clockNow = now + 91 * 86_400_000;
  expect(await rec.sweepNow()).toBeGreaterThanOrEqual(1);
  expect(archive.deleted).toContain(`/rec/2026/11/25/${lost}.wav`);
});
