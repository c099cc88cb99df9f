import { z } from 'zod';
import type { Clock } from '../clock/clock';
import type { SimParty } from '../telephony/sim/sim-party';
import type { SimSwitch } from '../telephony/sim/sim-switch';
import { HttpError } from './http-kit';
import { created, ok, type RouteRegistry } from './route-registry';
import { Ok } from './schemas';

const phone = z.string().regex(/^\+?[0-9]{3,15}$/, 'must be a phone number');
const keys = z.string().regex(/^[0-9*#]{1,32}$/, 'keys are 0-9, * and #');
const step = z.union([z.strictObject({ afterMs: z.number().int().min(0).max(3_600_000), press: keys }), z.strictObject({ afterMs: z.number().int().min(0).max(3_600_000), hangup: z.literal(true) })]);
const simCallSchema = z.strictObject({
  from: phone,
  to: phone,
  source: z.enum(['trunk', 'vehicle']).default('trunk'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,60}$/), z.string().max(200)).default({}),
  /** What the simulated caller does, timed from the moment the call is answered. */
  script: z.array(step).max(50).default([]).meta({ description: 'what the caller does once answered: [{afterMs, press}] or [{afterMs, hangup: true}]' }),
});
const keysSchema = z.strictObject({ digits: keys });
const phoneSchema = z.strictObject({ answer: z.enum(['auto', 'busy', 'never', 'reject']), afterMs: z.number().int().min(0).max(120_000).default(2000) });
const legParams = z.object({ legId: z.string().min(1).max(100) });
const SimCaller = z.object({ legId: z.string(), state: z.string(), heard: z.array(z.string()), endCause: z.string().nullable(), sipStatus: z.number().nullable() });
const notSim = { description: 'not on the simulated switch (SWITCH=sim)' };
const noCaller = { description: 'no such simulated caller' };

/** How many simulated callers the API keeps for inspection after they hang up. */
const KEEP = 2000;

/**
 * The simulated world over REST (only with SWITCH=sim: demos, process tests, load tests): callers who
 * dial in and act by script or on request, and phones at numbers the switch dials (callbacks, leads).
 */
export function simRoutes(r: RouteRegistry, sim: SimSwitch | undefined, clock: Clock): void {
  const parties = new Map<string, SimParty>();
  const need = (): SimSwitch => {
    if (!sim) throw new HttpError(409, 'the simulated world exists only with SWITCH=sim');
    return sim;
  };
  const party = (legId: string): SimParty => {
    const p = parties.get(legId);
    if (!p) throw new HttpError(404, `no simulated caller ${legId}`);
    return p;
  };

  r.add({
    method: 'post',
    path: '/api/sim/calls',
    tag: 'simulation',
    summary: 'Simulated switch only: a simulated caller dials in (demo and tests), optionally acting by script once answered',
    access: 'signed-in',
    body: simCallSchema,
    responses: { 201: { description: "the caller's leg", schema: z.object({ legId: z.string() }) }, 409: notSim, 503: { description: 'the switch is not taking calls now' } },
    handler: ({ body }) => {
      const p = need().placeCall(body);
      if (p.state === 'ended') throw new HttpError(503, 'the switch is not taking calls now');
      parties.set(p.legId, p);
      if (parties.size > KEEP) parties.delete(parties.keys().next().value as string);
      if (body.script.length > 0) {
        p.once('answered', () => {
          for (const st of body.script) {
            clock.setTimer(`sim-script:${p.legId}`, st.afterMs, () => ('press' in st ? p.sendDigits(st.press).catch(() => undefined) : p.hangup()));
          }
        });
      }
      return created({ legId: p.legId });
    },
  });

  r.add({
    method: 'get',
    path: '/api/sim/calls/:legId',
    tag: 'simulation',
    summary: 'Simulated switch only: a simulated caller (state, what they heard, how it ended)',
    access: 'signed-in',
    params: legParams,
    responses: { 200: { description: 'the caller', schema: SimCaller }, 404: noCaller, 409: notSim },
    handler: ({ params }) => {
      need();
      const p = party(params.legId);
      return ok({ legId: p.legId, state: p.state, heard: p.heard, endCause: p.endCause ?? null, sipStatus: p.sipStatus ?? null });
    },
  });

  r.add({
    method: 'post',
    path: '/api/sim/calls/:legId/keys',
    tag: 'simulation',
    summary: 'Simulated switch only: the caller presses keys',
    access: 'signed-in',
    params: legParams,
    body: keysSchema,
    responses: { 200: { description: 'pressed', schema: Ok }, 404: noCaller, 409: { description: 'the caller is not talking, or not on the simulated switch' } },
    handler: async ({ params, body }) => {
      need();
      const p = party(params.legId);
      if (p.state !== 'answered') throw new HttpError(409, `the caller is ${p.state}, not talking`);
      await p.sendDigits(body.digits);
      return ok({ ok: true });
    },
  });

  r.add({
    method: 'post',
    path: '/api/sim/calls/:legId/hangup',
    tag: 'simulation',
    summary: 'Simulated switch only: the caller hangs up',
    access: 'signed-in',
    params: legParams,
    responses: { 200: { description: 'hung up', schema: Ok }, 404: noCaller, 409: notSim },
    handler: ({ params }) => {
      need();
      party(params.legId).hangup();
      return ok({ ok: true });
    },
  });

  r.add({
    method: 'put',
    path: '/api/sim/phones/:number',
    tag: 'simulation',
    summary: 'Simulated switch only: how the phone at a number the switch dials behaves (answer after ms, busy, never, reject)',
    access: 'signed-in',
    params: z.object({ number: phone }),
    body: phoneSchema,
    responses: { 200: { description: 'set', schema: phoneSchema.extend({ number: z.string() }) }, 409: notSim },
    handler: ({ params, body }) => {
      const s = need();
      s.registerEndpoint(params.number, body.answer === 'auto' ? { answer: 'auto', afterMs: body.afterMs } : body.answer === 'reject' ? { answer: 'reject' } : { answer: body.answer });
      return ok({ number: params.number, ...body });
    },
  });
}
