import { useCallback, useEffect, useReducer, useState } from 'react';
import { App } from 'antd';
import { useTranslation } from 'react-i18next';
import type { AgentServerEvents } from '@shared/agent-events';
import type { CommandAck } from '@shared/errors';
import type { CallRecordView } from './restore';
import { callFromRecord } from './restore';
import { errorText } from '../i18n';
import { useShell } from '../shell/context';
import { deskReducer, initialDesk, type DeskEvent, type DeskState } from './model';
import type { CustomerCard } from '@shared/agent-events';

export type DeskShell = ReturnType<typeof useShell<AgentServerEvents>>;

/** The desk's state, fed by the socket's events. Marks each rendered pop for the bench (Performance API). */
export function useDeskState(shell: DeskShell): [DeskState, (e: DeskEvent) => void] {
  const [state, dispatch] = useReducer(deskReducer, initialDesk);
  const { socket } = shell;
  useEffect(() => {
    const offs = [
      socket.on('agent:state', (status) => dispatch({ type: 'agent:state', status })),
      socket.on('call:offer', (pop) => {
        performance.mark(`offer-received:${pop.callId}`, { detail: { wallClock: Date.now() } });
        dispatch({ type: 'call:offer', pop });
      }),
      socket.on('call:offer_update', (u) => dispatch({ type: 'call:offer_update', ...u })),
      socket.on('assist:update', (u) => dispatch({ type: 'assist:update', ...u })),
      socket.on('call:offer_withdrawn', (w) => dispatch({ type: 'call:offer_withdrawn', callId: w.callId })),
      socket.on('call:connected', (c) => dispatch({ type: 'call:connected', callId: c.callId, at: c.at })),
      socket.on('call:outbound', (pop) => dispatch({ type: 'call:outbound', pop })),
      socket.on('call:ended', (notice) => dispatch({ type: 'call:ended', notice })),
      socket.on('call:hold_state', (h) => dispatch({ type: 'call:hold_state', ...h })),
      socket.on('call:transfer_state', (tr) => {
        const { callId, to, kind, ...st } = tr;
        dispatch({ type: 'call:transfer_state', callId, transfer: { to, kind, state: st.state, ...('reason' in st ? { reason: st.reason } : {}) } });
      }),
      socket.on('call:monitored', (m) => dispatch({ type: 'call:monitored', ...m })),
      socket.on('call:wrap_up_extended', (w) => dispatch({ type: 'call:wrap_up_extended', ...w })),
      socket.on('call:disposition_saved', (d) => dispatch({ type: 'call:disposition_saved', ...d })),
      socket.on('preview:lead', (lead) => dispatch({ type: 'preview:lead', lead })),
      socket.on('appointment:new', (notice) => dispatch({ type: 'appointment:new', notice, receivedAt: Date.now() })),
    ];
    return () => offs.forEach((off) => off());
  }, [socket]);
  return [state, dispatch];
}

/**
 * A page reloaded mid-call (or a desk opened in a second tab): the agent's state names the call;
 * its record and customer card are read back from the server.
 */
export function useRestoreCall(shell: DeskShell, state: DeskState, dispatch: (e: DeskEvent) => void): void {
  const callId = state.status?.callId;
  const phase = state.status?.state;
  const known = state.call?.callId;
  useEffect(() => {
    if (!callId || known === callId || !phase || !['talking', 'hold', 'wrap_up', 'outbound'].includes(phase)) return;
    let gone = false;
    void (async () => {
      try {
        const record = await shell.api.get<CallRecordView>(`/api/calls/${callId}`);
        const customer = record.customerId ? await shell.api.get<CustomerCard>(`/api/customers/${record.customerId}`).catch(() => null) : null;
        if (!gone) dispatch({ type: 'local:restore', call: callFromRecord(record, customer, phase, shell.me.queues) });
      } catch {
        /* the call is gone: nothing to restore */
      }
    })();
    return () => {
      gone = true;
    };
  }, [callId, phase, known, shell.api, shell.me.queues, dispatch]);
}

/** Sends a desk command; a refusal is shown in the agent's language. Resolves with the ack. */
export function useCommand(shell: DeskShell): <T = unknown>(event: string, payload?: unknown, quiet?: boolean) => Promise<CommandAck<T>> {
  const { message } = App.useApp();
  const { t } = useTranslation();
  return useCallback(
    async <T,>(event: string, payload?: unknown, quiet = false): Promise<CommandAck<T>> => {
      const ack = await shell.socket.command<T>(event, payload);
      if (!ack.ok && !quiet) void message.error({ content: errorText(t, ack.code, ack.error), key: `cmd:${ack.code}` });
      return ack;
    },
    [shell.socket, message, t],
  );
}

/** The server's clock, ticking every `everyMs`. */
export function useServerNow(offset: number, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now() + offset);
  useEffect(() => {
    setNow(Date.now() + offset);
    const timer = setInterval(() => setNow(Date.now() + offset), everyMs);
    return () => clearInterval(timer);
  }, [offset, everyMs]);
  return now;
}
