/**
 * Lua shared by the scripts that put an agent into a queue's ready set: the agent's place in the
 * set decides who is offered the next call, lowest score first, by the queue's strategy.
 *  - longest_idle (default) and ring_all: when the agent became ready;
 *  - round_robin: the queue's sequence number of the agent's last call (never served: 0);
 *  - fewest_calls: calls answered, ties by when the agent became ready.
 * Key names follow RedisKeys.
 */
export const READY_SCORE_LUA = `
local function readyScore(ns, q, agent, since)
  local strat = redis.call('HGET', ns .. ':q:' .. q .. ':cfg', 'strategy')
  local akey = ns .. ':agent:' .. agent
  if strat == 'round_robin' then return tonumber(redis.call('HGET', akey, 'rr:' .. q) or '0') end
  if strat == 'fewest_calls' then return tonumber(redis.call('HGET', akey, 'calls') or '0') * 1e13 + tonumber(since) end
  return tonumber(since)
end
`;
