import type Redis from 'ioredis';
import type { QueueDirectory } from '../acd/queue-directory';
import type { AgentService } from '../agents/agent-service';
import type { CallRecordWriter } from '../calls/call-record-writer';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { campaignOf } from './call-counts';
import { IntervalAggregator } from './interval-aggregator';
import { IntervalStore } from './interval-store';

/** Connects the interval rows to where calls end: the call-record writer and the agents' state changes. */
export function wireIntervalReports(d: { models: Models; redis: Redis; ns: string; records: CallRecordWriter; agents: AgentService; queueDirectory: QueueDirectory; log: Logger }): IntervalAggregator {
  const campaignStores = new Map<string, string | undefined>();
  const storeOf = async (queueId: string | undefined): Promise<string | undefined> => {
    const campaignId = campaignOf(queueId);
    if (!campaignId) return queueId ? d.queueDirectory.get(queueId)?.storeId : undefined;
    if (!campaignStores.has(campaignId)) campaignStores.set(campaignId, (await d.models.Campaign.findById(campaignId, { storeIds: 1 }).lean())?.storeIds[0]);
    return campaignStores.get(campaignId);
  };
  const aggregator = new IntervalAggregator({ models: d.models, store: new IntervalStore(d.models.CallRecord.db), redis: d.redis, ns: d.ns, storeOf, settled: (callId) => d.records.settled(callId), log: d.log });
  d.records.onLanded((callId, fields) => aggregator.recordLanded(callId, fields));
  d.agents.onTransition((agentId, previous, next, at) => aggregator.agentChanged(agentId, previous, next, at));
  return aggregator;
}
