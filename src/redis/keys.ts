/**
 * Every Redis key the system writes, in one place. `ns` separates deployments (and test runs)
 * sharing one Redis. Lua scripts build the same names from ns; keep them in step with these.
 */
export class RedisKeys {
  constructor(readonly ns: string) {}

  agent(agentId: string): string {
    return `${this.ns}:agent:${agentId}`;
  }

  agentQueues(agentId: string): string {
    return `${this.ns}:agent:${agentId}:queues`;
  }

  agentSkills(agentId: string): string {
    return `${this.ns}:agent:${agentId}:skills`;
  }

  agentsIndex(): string {
    return `${this.ns}:agents`;
  }

  queueReady(queueId: string): string {
    return `${this.ns}:q:${queueId}:ready`;
  }

  queueConfig(queueId: string): string {
    return `${this.ns}:q:${queueId}:cfg`;
  }

  queueWaiting(queueId: string): string {
    return `${this.ns}:q:${queueId}:waiting`;
  }

  queueStats(queueId: string): string {
    return `${this.ns}:q:${queueId}:stats`;
  }

  call(callId: string): string {
    return `${this.ns}:call:${callId}`;
  }

  liveCalls(): string {
    return `${this.ns}:calls`;
  }

  /** App instances' heartbeats (sorted set: instance id → expiry). */
  instances(): string {
    return `${this.ns}:instances`;
  }

  presence(): string {
    return `${this.ns}:presence`;
  }

  /** Screen-pop cache: a customer's card without last calls. */
  customerCard(customerId: string): string {
    return `${this.ns}:crm:card:${customerId}`;
  }

  /** Screen-pop cache: phone (E.164) → routing facts of its customer, '' when unknown. */
  customerByPhone(e164: string): string {
    return `${this.ns}:crm:phone:${e164}`;
  }

  /** The dealer CRM's card for a phone number (cache). */
  crmCard(phone: string): string {
    return `${this.ns}:crm:ext:${phone}`;
  }

  reservation(callId: string): string {
    return `${this.ns}:resv:${callId}`;
  }
}
