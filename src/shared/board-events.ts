import { z } from 'zod';
import type { MonitorMode } from './agent-events';

/**
 * socket.io namespace `/board`: supervisors' and managers' live view. Connects with `auth: { token }`;
 * commands are answered with `CommandAck`.
 */

export interface LiveCallView {
  callId: string;
  agentId: string;
  storeId: string | undefined;
  customer: string;
  dealerNumber: string;
  direction: 'inbound' | 'outbound';
  connectedAt: number;
  onHold: boolean;
  monitor: { supervisorId: string; mode: MonitorMode } | undefined;
}

export interface AssistAlert {
  callId: string;
  vin: string;
  storeId: string;
  memberName: string;
  waitedMs: number;
  position: { lat: number; lon: number } | null;
  emergencyContact: string | null;
}

export interface BoardServerEvents {
  'campaigns:live': (v: { at: number; campaigns: Record<string, unknown>[] }) => void;
  'calls:live': (v: { at: number; calls: LiveCallView[] }) => void;
  'monitor:state': (s: { callId: string } & ({ mode: MonitorMode } | { ended: string })) => void;
  /** An automatic crash (in-car call) nobody answered in time (#15). */
  'assist:alert': (a: AssistAlert) => void;
}

const callRef = z.strictObject({ callId: z.uuid() });

export const boardCommands = {
  'monitor:start': callRef.extend({ mode: z.enum(['listen', 'whisper', 'barge']) }),
  'monitor:stop': callRef,
} as const;

export type BoardCommand = keyof typeof boardCommands;
