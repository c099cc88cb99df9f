import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { hashPassword } from '../../src/auth/passwords';
import { bindModels, type Models, type Role } from '../../src/store/models';
import { findProjectRoot } from '../../src/util/project-root';
import { AgentClient } from './agent-client';
import { eventually } from './wait';

/**
 * The server as production and `npm start` run it — `node dist/src/main.js`, configured only by
 * environment variables — driven from outside, through its doors: HTTP, socket.io, the simulated
 * world's REST API.
 */

const root = findProjectRoot();
export const MAIN = path.join(root, 'dist', 'src', 'main.js');

export interface Running {
  proc: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts main.js with exactly these variables (plus PATH and HOME). */
export function startServer(port: number, env: Record<string, string>): Running {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it (npm run build)`);
  const proc = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, port, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

export async function readyz(port: number): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

export async function waitReady(s: Running, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await readyz(s.port))?.status === 200, () => `readyz 200 (server output: ${s.output().slice(-1500)})`, timeoutMs);
}

export async function kill(s: Running, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  s.proc.kill(signal);
  await s.exited;
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!body.token) throw new Error(`login ${username}: ${res.status} ${body.error ?? ''}`);
  return body.token;
}

export async function api<T = Record<string, unknown>>(url: string, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${route}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** A desk on the agent socket of the server at `url`. */
export function desk(url: string, token: string): Promise<AgentClient> {
  return AgentClient.connect(url, token);
}

/** The deployment's database, opened beside the server for setting up users and queues and reading records. */
export async function openDatabase(uri: string): Promise<{ models: Models; close: () => Promise<void> }> {
  const conn = await mongoose.createConnection(uri).asPromise();
  const models = bindModels(conn);
  await models.User.createIndexes();
  return { models, close: () => conn.close() };
}

export async function createUser(models: Models, username: string, o: { roles?: Role[]; queueIds?: string[]; storeIds?: string[] } = {}): Promise<void> {
  await models.User.create({ username, displayName: `坐席 ${username}`, passwordHash: await hashPassword(`pw-${username}`), roles: o.roles ?? ['agent'], queueIds: o.queueIds ?? [], storeIds: o.storeIds ?? [], skills: [] });
}
