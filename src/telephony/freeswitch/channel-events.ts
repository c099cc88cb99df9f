import type Mrf from 'drachtio-fsmrf';

/** A wait for one event of a channel; `done` settles with it, or with undefined once cancelled or when the channel has no socket. */
export interface NextChannelEvent {
  done: Promise<Mrf.EslEvent | undefined>;
  cancel: () => void;
}

/**
 * The next event `name` (an ESL event name: RECORD_STOP, CHANNEL_BRIDGE, CHANNEL_STATE …) that
 * FreeSWITCH sends on the endpoint's own (outbound) event socket and `match` accepts. The socket is
 * filtered to the endpoint's channel, so events of other channels never arrive here.
 */
export function nextChannelEvent(ep: Mrf.Endpoint, name: string, match: (evt: Mrf.EslEvent) => boolean = () => true): NextChannelEvent {
  // fsmrf drops the connection (sets it null) when the endpoint is destroyed
  const conn = ep.conn as Mrf.EslConnection | null;
  if (!conn) return { done: Promise.resolve(undefined), cancel: () => undefined };
  const key = `esl::event::${name}::${ep.uuid}`;
  let settle: (evt: Mrf.EslEvent | undefined) => void = () => undefined;
  const listener = (evt: Mrf.EslEvent): void => {
    if (!match(evt)) return;
    conn.removeListener(key, listener);
    settle(evt);
  };
  const done = new Promise<Mrf.EslEvent | undefined>((resolve) => (settle = resolve));
  conn.subscribe(name);
  conn.on(key, listener);
  return {
    done,
    cancel: () => {
      conn.removeListener(key, listener);
      settle(undefined);
    },
  };
}

/**
 * `uuid_bridge a b` answers +OK before the bridge exists: FreeSWITCH then moves both channels into
 * it, `a` first (CHANNEL_BRIDGE), then `b` (its state becomes CS_EXCHANGE_MEDIA). Until `b` is in,
 * a hang-up of `a` makes FreeSWITCH end `b` too (DESTINATION_OUT_OF_ORDER) instead of parking it.
 * Settles true once both are in, false when cancelled.
 */
export function bridgeEstablished(a: Mrf.Endpoint, b: Mrf.Endpoint): { done: Promise<boolean>; cancel: () => void } {
  const bridged = nextChannelEvent(a, 'CHANNEL_BRIDGE');
  const joined = nextChannelEvent(b, 'CHANNEL_STATE', (evt) => evt.getHeader('Channel-State') === 'CS_EXCHANGE_MEDIA');
  const done = Promise.all([bridged.done, joined.done]).then(([x, y]) => x !== undefined && y !== undefined);
  return {
    done,
    cancel: () => {
      bridged.cancel();
      joined.cancel();
    },
  };
}
