import type { CrmOutcomeEvent } from '../calls/dispositions';

/** The CRM can take the outcome later: try again. */
export class CrmRetryableError extends Error {}
/** The CRM refused this outcome for good (it will refuse it again): dead letter, for a person to look at. */
export class CrmRejectedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How a CRM's HTTP answer is treated: 2xx delivered; 409 the CRM already has this idempotency key
 * (an earlier attempt got through but its answer was lost): delivered; 408, 425, 429 and 5xx are
 * passing trouble: retry; any other status is a refusal of this outcome: dead letter.
 */
export function classifyCrmResponse(status: number): 'delivered' | 'retry' | 'rejected' {
  if ((status >= 200 && status < 300) || status === 409) return 'delivered';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

export interface CrmClient {
  deliver(outcome: CrmOutcomeEvent, idempotencyKey: string): Promise<void>;
}

/** POSTs outcomes as JSON to `<baseUrl>/outcomes` with an Idempotency-Key header. */
export class HttpCrmClient implements CrmClient {
  constructor(private readonly o: { baseUrl: string; token: string | undefined; timeoutMs: number }) {}

  async deliver(outcome: CrmOutcomeEvent, idempotencyKey: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.o.baseUrl.replace(/\/$/, '')}/outcomes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
        body: JSON.stringify(outcome),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CrmRetryableError(`CRM unreachable (${cause})`);
    }
    const verdict = classifyCrmResponse(res.status);
    if (verdict === 'delivered') {
      await res.body?.cancel();
      return;
    }
    const body = (await res.text().catch(() => '')).slice(0, 500);
    if (verdict === 'retry') throw new CrmRetryableError(`CRM answered ${res.status}: ${body}`);
    throw new CrmRejectedError(res.status, `CRM refused the outcome with ${res.status}: ${body}`);
  }
}
