import type { Socket } from 'socket.io';
import type { z, ZodType } from 'zod';
import type { Logger } from '../log';
import type { CommandAck } from '../shared/errors';
import { UserError } from '../util/user-error';
import { isTransient } from '../store/retry';
import { UNAVAILABLE } from '../calls/session/step-chain';

type Ack = (response: CommandAck<unknown>) => void;

export type CommandHandlers<S extends Record<string, ZodType>> = { [E in keyof S]: (payload: z.infer<S[E]>) => Promise<unknown> };

/**
 * Binds every command of a namespace on a socket at once, when it connects and before anything is
 * awaited (a command the client sends right after connecting, or replays after a reconnect, is never
 * missed). Each command waits for `ready` (the connection's set-up: the user loaded, the agent's
 * profile in place), has its payload checked against its schema, runs, and is always acknowledged:
 * `{ ok: true, data? }`, or `{ ok: false, code, error }` — a UserError's own code and message, a bad
 * payload's `invalid_request` with what is wrong, anything else `internal` (and logged).
 */
export function bindCommands<S extends Record<string, ZodType>>(socket: Socket, schemas: S, handlers: CommandHandlers<S>, ctx: { log: Logger; ready: Promise<void> }): void {
  for (const event of Object.keys(schemas) as (keyof S & string)[]) {
    const schema = schemas[event] as ZodType;
    const run = handlers[event];
    (socket as unknown as { on(event: string, fn: (raw: unknown, maybeAck?: unknown) => void): void }).on(event, (raw: unknown, maybeAck?: unknown) => {
      // a client that sends no payload puts its ack first
      const ack: Ack = typeof maybeAck === 'function' ? (maybeAck as Ack) : typeof raw === 'function' ? (raw as Ack) : () => undefined;
      const payload = typeof raw === 'function' ? undefined : raw;
      answer(event, schema, payload, run, ctx).then(ack, (err: unknown) => ctx.log.error({ err, event }, 'command acknowledgement failed'));
    });
  }
}

async function answer(event: string, schema: ZodType, raw: unknown, run: (payload: never) => Promise<unknown>, ctx: { log: Logger; ready: Promise<void> }): Promise<CommandAck<unknown>> {
  try {
    await ctx.ready;
  } catch (err) {
    if (err instanceof UserError) return { ok: false, code: err.code, error: err.message };
    return { ok: false, code: 'unavailable', error: 'the connection could not be set up; reconnect' };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, code: 'invalid_request', error: `invalid ${event}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}` };
  try {
    const data = await run(parsed.data as never);
    return data === undefined ? { ok: true } : { ok: true, data };
  } catch (err) {
    if (err instanceof UserError) return { ok: false, code: err.code, error: err.message };
    if (isTransient(err)) return { ok: false, code: 'unavailable', error: UNAVAILABLE };
    ctx.log.error({ err, event }, 'desktop command failed');
    return { ok: false, code: 'internal', error: 'internal error' };
  }
}
