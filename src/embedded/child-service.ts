import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import { waitForPort } from './free-port';

export interface ChildServiceSpec {
  /** Short name for logs and pid files, e.g. "redis". */
  name: string;
  command: string;
  args: string[];
  host: string;
  port: number;
  /** Folder for the pid file and the log file. */
  runDir: string;
  readyTimeoutMs: number;
  /** Runs the server as this user (PostgreSQL refuses to run as root). */
  runAs?: { uid: number; gid: number };
  /** The signal that asks it to stop (default SIGTERM; PostgreSQL's SIGTERM waits for its clients, SIGINT does not). */
  stopSignal?: NodeJS.Signals;
}

export class ChildServiceError extends Error {}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !processAlive(pid);
}

/**
 * A server this process starts and owns (embedded Redis, FerretDB): started on loopback, its pid
 * recorded so a copy left behind by a killed predecessor is stopped on the next start, stopped
 * with SIGTERM (SIGKILL after a grace period) on shutdown.
 */
export class ChildService {
  private child: ChildProcess | undefined;
  private exited = false;

  constructor(
    readonly spec: ChildServiceSpec,
    private readonly log: Logger,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `${this.spec.host}:${this.spec.port}`;
  }

  private get pidFile(): string {
    return path.join(this.spec.runDir, `${this.spec.name}.pid`);
  }

  private get logFile(): string {
    return path.join(this.spec.runDir, `${this.spec.name}.log`);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.spec.runDir, { recursive: true });
    await this.stopLeftover();
    const out = fs.openSync(this.logFile, 'a');
    const child = spawn(this.spec.command, this.spec.args, { stdio: ['ignore', out, out], detached: false, ...(this.spec.runAs ?? {}) });
    fs.closeSync(out);
    this.child = child;
    this.exited = false;
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new ChildServiceError(`${this.spec.name}: cannot start ${this.spec.command}: ${err.message}`)));
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.log.info({ service: this.spec.name, code, signal }, 'embedded service exited');
    });
    await spawned;
    fs.writeFileSync(this.pidFile, `${child.pid}\n`);
    try {
      await waitForPort(this.spec.host, this.spec.port, this.spec.readyTimeoutMs, () => !this.exited);
    } catch (err) {
      await this.stop();
      throw new ChildServiceError(`${this.spec.name} ${(err as Error).message}; last log lines: ${this.tailLog()}`);
    }
    this.log.info({ service: this.spec.name, pid: child.pid, address: this.url }, 'embedded service started');
  }

  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (child?.pid && !this.exited) {
      child.kill(this.spec.stopSignal ?? 'SIGTERM');
      if (!(await waitForExit(child.pid, graceMs))) {
        this.log.warn({ service: this.spec.name, pid: child.pid }, 'embedded service ignored SIGTERM; killing');
        child.kill('SIGKILL');
        await waitForExit(child.pid, 2000);
      }
    }
    this.child = undefined;
    fs.rmSync(this.pidFile, { force: true });
  }

  /** A process recorded by an earlier run that was killed before it could stop its children. */
  private async stopLeftover(): Promise<void> {
    let pid: number;
    try {
      pid = Number.parseInt(fs.readFileSync(this.pidFile, 'utf8'), 10);
    } catch {
      return;
    }
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && commandLineOf(pid).includes(path.basename(this.spec.command))) {
      this.log.warn({ service: this.spec.name, pid }, 'stopping a copy left by an earlier run');
      process.kill(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 10_000))) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(this.pidFile, { force: true });
  }

  private tailLog(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-5).join(' | ');
    } catch {
      return '(no log)';
    }
  }
}
