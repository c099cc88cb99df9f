import type { Api } from '../shell/api';
import { ApiFailure, codeForStatus } from '../shell/api';

/** What the manager console reads and sends (the REST API's shapes, as the OpenAPI document describes them). */

export interface CampaignDef {
  campaignId: string;
  name: string;
  storeIds: string[];
  mode: 'preview' | 'progressive' | 'predictive';
  status: 'draft' | 'running' | 'paused' | 'stopped' | 'exhausted';
  listIds: string[];
  agents: string[];
  teamId?: string;
  callerId: string;
  window?: { days: number[]; from: string; to: string; holidays: string[] };
  abandonLimit: number;
  wrapUpMs: number;
  recycle?: { outcomes: string[]; olderThanDays: number };
}
export interface CampaignLive {
  campaignId: string;
  status: CampaignDef['status'];
  mode: string;
  callsInProgress: number;
  dialLevel: number;
  placed: number;
  answerRate: number;
  abandonRateToday: number;
  abandonRate30d: number;
  agentsByState: Record<string, number>;
}
export interface LeadList {
  listId: string;
  name: string;
  storeId: string;
  createdBy: string;
  createdAt: string;
  leads: number;
}
export interface Lead {
  leadId: string;
  phone: string;
  name?: string;
  grade?: string;
  status: string;
  attempts: number;
  consent: boolean;
  lastOutcome?: string;
}
export const LEAD_FIELDS = ['phone', 'name', 'grade', 'defeatReason', 'storeId', 'consultant', 'lastContactAt', 'timeZone', 'consent'] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];
export type Mapping = Partial<Record<LeadField, number>>;
export interface UploadPreview {
  uploadId: string;
  fileName: string;
  format: 'csv' | 'xlsx';
  encoding: 'utf-8' | 'gb18030';
  size: number;
  headers: string[];
  sample: string[][];
  total: number;
  suggested: Mapping;
}
export interface UploadProgress {
  uploadId: string;
  status: 'uploaded' | 'importing' | 'done' | 'failed';
  listId?: string;
  total: number;
  rows: number;
  accepted: number;
  mergedInFile: number;
  rejectedTotal: number;
  error?: string;
}
export interface UserView {
  username: string;
  displayName: string;
  roles: string[];
  storeIds: string[];
  queueIds: string[];
  extension: string | null;
  active: boolean;
}
export interface TeamView {
  teamId: string;
  storeId: string;
  name: string;
  members: string[];
  active: boolean;
}
export interface QueueView {
  queueId: string;
  name: string;
  storeId?: string;
  numbers: string[];
  strategy?: string;
  active?: boolean;
  waiting?: number;
  readyAgents?: number;
}
export interface ReportRow {
  interval: string;
  key: string;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  abandonRate: number | null;
  occupancy: number | null;
}
export interface IntervalReport {
  dim: string;
  grain: string;
  from: string;
  to: string;
  rows: ReportRow[];
  totals: ReportRow[];
}
export interface FunnelRow {
  key: string;
  contacts: number;
  appointments: number;
  visits: number;
  wonBack: number;
  cadence: Record<'A' | 'B' | 'C', { leads: number; onTime: number; share: number | null }> | null;
}
export interface StaffingRow {
  interval: string;
  calls: number;
  ahtSec: number;
  erlangs: number;
  agents: number;
  scheduled: number;
  serviceLevel: number;
  actualAgents: number;
}

/** A request with a non-JSON body or answer (file upload, file download, event stream), with the bearer token. */
export async function rawFetch(token: string | undefined, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch (err) {
    throw new ApiFailure(0, 'network', err instanceof Error ? err.message : 'network error');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; code?: ApiFailure['code'] };
    throw new ApiFailure(res.status, body.code ?? codeForStatus(res.status), body.error ?? res.statusText);
  }
  return res;
}

/** Downloads a file the API answers (export, rejected rows) under its own name. */
export async function download(token: string | undefined, path: string, fallbackName: string): Promise<void> {
  const res = await rawFetch(token, path);
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Follows server-sent progress events (fetch, so the bearer token goes along) until the stream ends or `signal` aborts. */
export async function followEvents<T>(token: string | undefined, path: string, onEvent: (data: T) => void, signal: AbortSignal): Promise<void> {
  const res = await rawFetch(token, path, { signal });
  const reader = res.body?.getReader();
  if (!reader) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (data) onEvent(JSON.parse(data.slice(6)) as T);
    }
  }
}

export type { Api };
