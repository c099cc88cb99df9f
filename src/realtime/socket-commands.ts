import type { Socket } from 'socket.io';
import type { z, ZodTypeAny } from 'zod';
import type { Logger } from '../log';

/** What every command a desktop sends gets back (socket.io acknowledgement). */
export type Ack = (response: { ok: true } | { ok: false; error: string }) => void;

/**
 * Registers the handler of one client command: the payload is checked against its schema (a bad
 * one is answered with what is wrong), the handler runs, and the client is acknowledged. Errors the
 * user can act on (`isUserError`) are answered with their message; anything else is logged and
 * answered "internal error".
 */
export function onCommand<S extends Record<string, ZodTypeAny>, E extends keyof S & string>(
  socket: Socket,
  schemas: S,
  event: E,
  run: (payload: z.infer<S[E]>) => Promise<void>,
  ctx: { log: Logger; isUserError: (err: unknown) => err is Error },
): void {
  const schema = schemas[event] as ZodTypeAny;
  socket.on(event as string, async (raw: unknown, ack?: Ack) => {
    const reply: Ack = typeof ack === 'function' ? ack : () => undefined;
    const parsed = schema.safeParse(typeof raw === 'function' ? undefined : raw);
    if (!parsed.success) return reply({ ok: false, error: `invalid ${event}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}` });
    try {
      await run(parsed.data as z.infer<S[E]>);
      reply({ ok: true });
    } catch (err) {
      if (ctx.isUserError(err)) return reply({ ok: false, error: err.message });
      ctx.log.error({ err, event }, 'desktop command failed');
      reply({ ok: false, error: 'internal error' });
    }
  });
}
