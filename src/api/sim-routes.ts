import type express from 'express';
import { z } from 'zod';
import type { Clock } from '../clock/clock';
import type { SimParty } from '../telephony/sim/sim-party';
import type { SimSwitch } from '../telephony/sim/sim-switch';
import { HttpError, parseBody, type authMiddleware } from './http-kit';
import type { Role } from '../store/models';

type Guard = ReturnType<ReturnType<typeof authMiddleware>>;

const phone = z.string().regex(/^\+?[0-9]{3,15}$/, 'must be a phone number');
const step = z.union([z.strictObject({ afterMs: z.number().int().min(0).max(3_600_000), press: z.string().regex(/^[0-9*#]{1,32}$/, 'keys are 0-9, * and #') }), z.strictObject({ afterMs: z.number().int().min(0).max(3_600_000), hangup: z.literal(true) })]);
const simCallSchema = z.strictObject({
  from: phone,
  to: phone,
  source: z.enum(['trunk', 'vehicle']).default('trunk'),
  headers: z.record(z.string(), z.string()).default({}),
  /** What the simulated caller does, timed from the moment the call is answered. */
  script: z.array(step).max(50).default([]),
});
const keysSchema = z.strictObject({ digits: z.string().regex(/^[0-9*#]{1,32}$/, 'keys are 0-9, * and #') });
const phoneSchema = z.strictObject({ answer: z.enum(['auto', 'busy', 'never', 'reject']), afterMs: z.number().int().min(0).max(120_000).default(2000) });

/** How many simulated callers the API keeps for inspection after they hang up. */
const KEEP = 2000;

/**
 * The simulated world over REST (only with SWITCH=sim: demos, process tests, load tests): callers who
 * dial in and act by script or on request, and phones at numbers the switch dials (callbacks, leads).
 */
export function simRoutes(app: express.Express, sim: SimSwitch | undefined, clock: Clock, requireAuth: (...roles: Role[]) => Guard): void {
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

  app.post('/api/sim/calls', requireAuth(), (req, res) => {
    const s = need();
    const body = parseBody(simCallSchema, req.body);
    const p = s.placeCall(body);
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
    res.status(201).json({ legId: p.legId });
  });

  app.get('/api/sim/calls/:legId', requireAuth(), (req, res) => {
    need();
    const p = party(String(req.params.legId));
    res.json({ legId: p.legId, state: p.state, heard: p.heard, endCause: p.endCause ?? null, sipStatus: p.sipStatus ?? null });
  });

  app.post('/api/sim/calls/:legId/keys', requireAuth(), async (req, res) => {
    need();
    const p = party(String(req.params.legId));
    if (p.state !== 'answered') throw new HttpError(409, `the caller is ${p.state}, not talking`);
    await p.sendDigits(parseBody(keysSchema, req.body).digits);
    res.json({ ok: true });
  });

  app.post('/api/sim/calls/:legId/hangup', requireAuth(), (req, res) => {
    need();
    party(String(req.params.legId)).hangup();
    res.json({ ok: true });
  });

  app.put('/api/sim/phones/:number', requireAuth(), (req, res) => {
    const s = need();
    const number = String(req.params.number);
    if (!/^\+?[0-9]{3,15}$/.test(number)) throw new HttpError(400, 'number: must be a phone number');
    const body = parseBody(phoneSchema, req.body);
    s.registerEndpoint(number, body.answer === 'auto' ? { answer: 'auto', afterMs: body.afterMs } : body.answer === 'reject' ? { answer: 'reject' } : { answer: body.answer });
    res.json({ number, ...body });
  });
}
