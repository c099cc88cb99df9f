/**
 * Live estimates the pacer feeds on: share of calls answered by a person, time to answer, and the
 * talk-time distribution (log-normal, fitted online). Pure state, updated by the engine.
 */
export class LiveStats {
  private placed = 0;
  private live = 0;
  private readonly window: number;
  private answerMsEwma: number;
  private n = 0;
  private meanLog = 0;
  private m2 = 0;
  /** Ring-to-answer delays of calls a person answered, in whole seconds (0…60). */
  private readonly delays = new Array<number>(61).fill(0);

  constructor(o: { window?: number; priorAnswerRate?: number; priorAnswerMs?: number; priorTalkMs?: number } = {}) {
    this.window = o.window ?? 300;
    // A prior worth 20 calls, so the first minutes are not paced on two or three outcomes.
    this.placed = 20;
    this.live = 20 * (o.priorAnswerRate ?? 0.25);
    this.answerMsEwma = o.priorAnswerMs ?? 10_000;
    const prior = Math.log(o.priorTalkMs ?? 180_000);
    this.n = 5;
    this.meanLog = prior;
    this.m2 = 5 * 0.6 * 0.6;
    // Prior: people answer between 3 and 20 s, worth 20 observations.
    for (let sec = 3; sec <= 20; sec++) (this.delays[sec] as number) += 20 / 18;
  }

  /** P(a person who answers does so within t seconds of the dial), t = 0…60. */
  answerDelayCdf(): number[] {
    const total = this.delays.reduce((a, b) => a + b, 0);
    let acc = 0;
    return this.delays.map((d) => (acc += d) / total);
  }

  /** A placed call ended ringing: answered by a person or not. */
  callOutcome(livePerson: boolean, answerMs?: number): void {
    const decay = this.placed >= this.window ? (this.window - 1) / this.window : 1;
    this.placed = this.placed * decay + 1;
    this.live = this.live * decay + (livePerson ? 1 : 0);
    if (livePerson && answerMs !== undefined) {
      this.answerMsEwma = 0.9 * this.answerMsEwma + 0.1 * answerMs;
      const sec = Math.min(60, Math.max(0, Math.round(answerMs / 1000)));
      this.delays[sec] = (this.delays[sec] as number) + 1;
    }
  }

  talkEnded(talkMs: number): void {
    const x = Math.log(Math.max(1000, talkMs));
    this.n++;
    const d = x - this.meanLog;
    this.meanLog += d / this.n;
    this.m2 += d * (x - this.meanLog);
  }

  get liveAnswerRate(): number {
    return this.live / this.placed;
  }

  /** How far ahead pacing looks: about the time a call takes to be answered. */
  get horizonMs(): number {
    return this.answerMsEwma;
  }

  /** P(a call that has lasted elapsedMs ends within the next horizonMs), from the fitted log-normal. */
  endsWithin(elapsedMs: number, horizonMs: number): number {
    const sd = Math.sqrt(this.m2 / Math.max(1, this.n - 1)) || 0.6;
    const surv = (t: number) => 1 - normalCdf((Math.log(Math.max(1, t)) - this.meanLog) / sd);
    const now = surv(elapsedMs);
    if (now <= 1e-9) return 1;
    return Math.min(1, Math.max(0, 1 - surv(elapsedMs + horizonMs) / now));
  }
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf), error < 1.5e-7. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
