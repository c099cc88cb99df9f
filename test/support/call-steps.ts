import type { SimParty } from '../../src/telephony/sim/sim-party';
import type { AgentClient } from './agent-client';
import type { TestApp } from './test-app';
import { eventually } from './wait';

/** Steps of a call as people take them, for tests on the simulated switch and the virtual clock. */

export interface Offer {
  callId: string;
  from: string;
  queueId: string;
  waitedMs: number;
  customer: null | { name: string; grade: string; defeatReason: string; owningUser: string; funnel: { kind: string; grade?: string }[]; lastCalls: unknown[] };
  dispositionCodes: string[];
}

/** Waits (real time) until a timer whose owner contains `owner` is armed on the virtual clock. */
export async function armed(t: TestApp, owner: string): Promise<void> {
  await eventually(() => t.clock.pending().some((h) => h.owner.includes(owner)), `a timer "${owner}"`);
}

/** The caller dials in and listens to the greeting; resolves once they are queued with hold music. */
export async function callIn(t: TestApp, from: string, to = '4008001234'): Promise<SimParty> {
  const caller = t.sw.placeCall({ from, to });
  await eventually(() => caller.heard.includes('prompt:welcome'), 'the greeting to start');
  await t.clock.advance(2000);
  await eventually(() => caller.heard.includes('music:hold'), 'hold music');
  return caller;
}

/** A user with a desktop connected, made ready. */
export async function readyAgent(t: Pick<TestApp, 'agent'>, username: string, opts: Parameters<TestApp['agent']>[1] = {}): Promise<AgentClient> {
  const agent = await t.agent(username, opts);
  await agent.state('not_ready');
  const ack = await agent.send('agent:ready');
  if (!ack.ok) throw new Error(`agent ${username} could not go ready: ${ack.error}`);
  await agent.state('ready');
  return agent;
}

/** The agent accepts, their softphone answers, and the call is bridged. */
export async function acceptAndConnect(t: TestApp, agent: AgentClient, callId: string): Promise<void> {
  const ack = await agent.send('call:accept', { callId });
  if (!ack.ok) throw new Error(`accept refused: ${ack.error}`);
  await agent.state('ringing');
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await agent.next('call:connected', (p: { callId: string }) => p.callId === callId);
  await agent.state('talking');
}
