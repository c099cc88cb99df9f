import { quietErrors } from '../util/quiet-errors';
import fs from 'node:fs/promises';
import { Queue, Worker, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import { newRedis } from '../redis/connect';
import type { Clock } from '../clock/clock';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { retryDelayMs, type BackoffOptions } from '../util/backoff';

export interface RecordingArchiveOptions {
  redisUrl: string;
  /** Key prefix of this deployment. */
  prefix: string;
  /** Where FreeSWITCH writes recordings (the prefix of the paths it reports)… */
  switchDir: string;
  /** …and where this process reads the same folder (a shared volume). */
  localDir: string;
  /** HTTP(S) archive: each recording is PUT at `<url>/<yyyy>/<mm>/<dd>/<callId>.wav`; without it, recordings stay on the volume. */
  upload: { url: string; token: string | undefined; timeoutMs: number } | undefined;
  /** Recordings older than this are deleted (local copy and archive); 0 keeps them forever. */
  retentionDays: number;
  /** How often the retention sweep runs. */
  sweepEveryMs: number;
  /**
   * How often the recordings folder is scanned for recordings nobody reported (the RECORD_STOP went to
   * an instance that died): each gets its entry, and so its upload and its purge. Default 5 minutes.
   */
  scanEveryMs?: number;
  backoff: BackoffOptions;
  /** Upload attempts before giving up (the entry then says why). */
  attempts: number;
  clock: Clock;
  models: Models;
  /** An attempt failed (retried, or given up): for the job failure count. */
  onAttemptFailed?: () => void;
  log: Logger;
}

type ArchiveJob = { kind: 'upload'; callId: string } | { kind: 'sweep' } | { kind: 'scan' };

/** A file not written to for this long is a closed recording (FreeSWITCH writes as the call goes). */
const SETTLED_MS = 2 * 60_000;

/** The day folders looked through by the scan: a lost RECORD_STOP is found within minutes, so a few days back suffice. */
const SCAN_DAYS = 3;

/** `yyyy/mm/dd` folders under root for days on or after `since` (a day's folder is by the store's local date: one day of slack). */
async function recentDayFolders(root: string, since: number): Promise<string[]> {
  const from = new Date(since - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '/');
  const list = async (dir: string): Promise<string[]> => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const out: string[] = [];
  for (const y of await list(root)) for (const m of await list(`${root}/${y}`)) for (const d of await list(`${root}/${y}/${m}`)) if (`${y}/${m}/${d}` >= from) out.push(`${y}/${m}/${d}`);
  return out;
}

/** A call recording as FreeSWITCH names it: `<yyyy>/<mm>/<dd>/<callId>.wav` (voicemails live in voicemail/). */
const RECORDING_PATH = /^(\d{4})\/(\d{2})\/(\d{2})\/([A-Za-z0-9_-][A-Za-z0-9._-]*)\.wav$/;

const QUEUE = 'recordings';

/** A failure retrying cannot fix: the entry records it and the job ends. */
class Unrecoverable extends Error {}

/**
 * What happens to a call recording once FreeSWITCH has closed it (RECORD_STOP): a job uploads it to
 * the archive and removes the local copy; a sweep deletes recordings past their retention, wherever
 * they are. Jobs live in Redis (BullMQ), their results in MongoDB (`RecordingArchive`), so a restart
 * resumes where it stopped and a recording is uploaded once (the job id is the call id).
 */
export class RecordingArchive {
  private readonly queueConn: IORedis;
  private readonly workerConn: IORedis;
  private readonly queue: Queue<ArchiveJob>;
  private worker: Worker<ArchiveJob> | undefined;

  constructor(private readonly o: RecordingArchiveOptions) {
    this.queueConn = newRedis(o.redisUrl, { maxRetriesPerRequest: null });
    this.workerConn = newRedis(o.redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue<ArchiveJob>(QUEUE, { connection: this.queueConn, prefix: o.prefix });
  }

  async start(): Promise<void> {
    this.worker = new Worker<ArchiveJob>(QUEUE, (job) => this.process(job), {
      connection: this.workerConn,
      prefix: this.o.prefix,
      concurrency: 2,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, this.o.backoff, Math.random) },
    });
    this.worker.on('error', quietErrors(this.o.log, 'recording archive worker error'));
    this.worker.on('failed', () => this.o.onAttemptFailed?.());
    // the first sweep one interval after the start, not racing the uploads a restart resumes (one
    // schedule per deployment: every instance upserts the same one)
    if (this.o.retentionDays > 0) await this.queue.upsertJobScheduler('retention-sweep', { every: this.o.sweepEveryMs, startDate: new Date(Date.now() + this.o.sweepEveryMs) }, { name: 'sweep', data: { kind: 'sweep' } });
    const scanEvery = this.o.scanEveryMs ?? 5 * 60_000;
    // the first scan one interval after the start: what is being written now is not due yet anyway
    await this.queue.upsertJobScheduler('folder-scan', { every: scanEvery, startDate: new Date(Date.now() + scanEvery) }, { name: 'scan', data: { kind: 'scan' } });
  }

  /** A recording was closed: remember it, and archive it when an archive is configured. */
  async recorded(callId: string, file: string, stoppedAt: Date): Promise<void> {
    try {
      await this.o.models.RecordingArchive.updateOne({ _id: callId }, { $setOnInsert: { file, stoppedAt } }, { upsert: true }).exec();
    } catch (err) {
      // two reports at once (RECORD_STOP and the folder scan): the other one inserted it
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    if (!this.o.upload) return;
    await this.queue.add('upload', { kind: 'upload', callId }, { jobId: `upload-${callId}`, attempts: this.o.attempts, backoff: { type: 'custom' }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 30 * 86_400 } });
  }

  /**
   * Looks through the recordings folder for closed recordings that have no entry — their RECORD_STOP
   * never reached a live instance — and takes each in as if it had been reported (upload, retention).
   * Runs on its schedule; resolves with how many it found.
   */
  async scanNow(): Promise<number> {
    return this.scan();
  }

  /** Jobs waiting or delayed (uploads, sweeps), and failed attempts so far. */
  async counts(): Promise<{ waiting: number; failed: number }> {
    const c = await this.queue.getJobCounts('waiting', 'delayed', 'failed');
    return { waiting: (c.waiting ?? 0) + (c.delayed ?? 0), failed: c.failed ?? 0 };
  }

  /** Runs the retention sweep now (it also runs on its schedule); resolves with how many were purged. */
  async sweepNow(): Promise<number> {
    return this.sweep();
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await Promise.allSettled([this.queueConn.quit(), this.workerConn.quit()]);
  }

  private async process(job: Job<ArchiveJob>): Promise<void> {
    if (job.data.kind === 'sweep') {
      await this.sweep();
      return;
    }
    if (job.data.kind === 'scan') {
      await this.scan();
      return;
    }
    const { callId } = job.data;
    try {
      await this.upload(callId);
    } catch (err) {
      const last = job.attemptsMade + 1 >= this.o.attempts;
      if (err instanceof Unrecoverable || last) {
        await this.o.models.RecordingArchive.updateOne({ _id: callId }, { $set: { error: (err as Error).message } }).exec();
        this.o.log.error({ callId, err: (err as Error).message, attempts: job.attemptsMade + 1 }, 'recording not archived');
        return;
      }
      throw err; // BullMQ retries after the backoff
    }
  }

  private async upload(callId: string): Promise<void> {
    const upload = this.o.upload;
    const entry = await this.o.models.RecordingArchive.findById(callId).lean();
    if (!upload || !entry || entry.uploadedAt || entry.purgedAt) return;
    const local = this.localPath(entry.file);
    let body: Buffer;
    try {
      body = await fs.readFile(local);
    } catch (err) {
      throw new Unrecoverable(`${local}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    const url = `${upload.url.replace(/\/+$/, '')}/${this.relative(entry.file)}`;
    const res = await fetch(url, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'audio/wav', ...(upload.token ? { authorization: `Bearer ${upload.token}` } : {}) },
      signal: AbortSignal.timeout(upload.timeoutMs),
    });
    if (!res.ok) {
      const msg = `archive answered ${res.status} for ${url}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new Unrecoverable(msg);
      throw new Error(msg);
    }
    await this.o.models.RecordingArchive.updateOne({ _id: callId }, { $set: { uploadedTo: url, uploadedAt: new Date(this.o.clock.now()) }, $unset: { error: 1 } }).exec();
    await fs.rm(local, { force: true });
    this.o.log.info({ callId, url, bytes: body.length }, 'recording archived');
  }

  private async sweep(): Promise<number> {
    if (this.o.retentionDays <= 0) return 0;
    const cutoff = new Date(this.o.clock.now() - this.o.retentionDays * 86_400_000);
    const due = await this.o.models.RecordingArchive.find({ stoppedAt: { $lt: cutoff }, purgedAt: { $exists: false } }).lean();
    let purged = 0;
    for (const entry of due) {
      try {
        if (entry.uploadedTo) {
          const res = await fetch(entry.uploadedTo, { method: 'DELETE', headers: this.o.upload?.token ? { authorization: `Bearer ${this.o.upload.token}` } : {}, signal: AbortSignal.timeout(this.o.upload?.timeoutMs ?? 10_000) });
          if (!res.ok && res.status !== 404) throw new Error(`archive answered ${res.status} to DELETE ${entry.uploadedTo}`);
        }
        await fs.rm(this.localPath(entry.file), { force: true });
        await this.o.models.RecordingArchive.updateOne({ _id: entry._id }, { $set: { purgedAt: new Date(this.o.clock.now()) } }).exec();
        purged++;
      } catch (err) {
        this.o.log.warn({ callId: entry._id, err: (err as Error).message }, 'recording not purged; the next sweep tries again');
      }
    }
    if (purged > 0) this.o.log.info({ purged, cutoff }, 'recordings past retention deleted');
    return purged;
  }

  private async scan(): Promise<number> {
    const root = this.o.localDir.replace(/\/+$/, '');
    const now = this.o.clock.now();
    let found = 0;
    for (const day of await recentDayFolders(root, now - SCAN_DAYS * 86_400_000)) {
      for (const name of await fs.readdir(`${root}/${day}`).catch(() => [] as string[])) {
        const rel = `${day}/${name}`;
        const m = RECORDING_PATH.exec(rel);
        if (!m) continue;
        const callId = m[4] as string;
        const stat = await fs.stat(`${root}/${rel}`).catch(() => undefined);
        if (!stat || now - stat.mtimeMs < SETTLED_MS) continue; // still being written, or gone meanwhile
        if (await this.o.models.RecordingArchive.exists({ _id: callId })) continue;
        await this.recorded(callId, `${this.o.switchDir.replace(/\/+$/, '')}/${rel}`, stat.mtime);
        found++;
      }
    }
    if (found > 0) this.o.log.warn({ found }, 'recordings nobody reported (their instance died before RECORD_STOP) taken in for upload and retention');
    return found;
  }

  /** The recording's path under the recordings folder (`yyyy/mm/dd/<callId>.wav`). */
  private relative(file: string): string {
    const root = this.o.switchDir.replace(/\/+$/, '');
    if (!file.startsWith(`${root}/`)) throw new Unrecoverable(`${file} is not under ${root}`);
    const rel = file.slice(root.length + 1);
    if (rel.split('/').includes('..')) throw new Unrecoverable(`${file} leaves ${root}`);
    return rel;
  }

  private localPath(file: string): string {
    return `${this.o.localDir.replace(/\/+$/, '')}/${this.relative(file)}`;
  }
}
