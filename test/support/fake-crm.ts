import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server playing an external CRM: POST /outcomes with an Idempotency-Key. It can be
 * told to refuse (503) for a while, to reject certain outcomes (400), and it answers 409 to a key
 * it already stored, as a CRM honouring idempotency keys does.
 */
export class TestCrm {
  readonly stored = new Map<string, unknown>();
  /** Every request: key and the status answered. */
  readonly requests: { key: string; status: number }[] = [];
  down = false;
  rejectKeys = new Set<string>();
  /** Customer cards by E.164 phone, answered to GET /customers?phone=… after lookupDelayMs. */
  readonly cards = new Map<string, unknown>();
  lookupDelayMs = 0;
  lookups = 0;
  lookupsAnswered = 0;
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<TestCrm> {
    const server = http.createServer();
    const crm = new TestCrm(server);
    server.on('request', (req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/customers?')) {
        crm.lookups++;
        const phone = new URL(req.url, 'http://x').searchParams.get('phone') ?? '';
        setTimeout(() => {
          crm.lookupsAnswered++;
          const card = crm.cards.get(phone);
          if (crm.down) res.writeHead(503).end();
          else res.writeHead(card ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(card ?? { error: 'not found' }));
        }, crm.lookupDelayMs);
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const key = String(req.headers['idempotency-key'] ?? '');
        const status = req.method !== 'POST' || req.url !== '/outcomes' ? 404 : crm.down ? 503 : crm.rejectKeys.has(key) ? 400 : crm.stored.has(key) ? 409 : 201;
        if (status === 201) crm.stored.set(key, JSON.parse(body));
        crm.requests.push({ key, status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 400 ? { error: 'unknown customer' } : { ok: status < 300 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return crm;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  accepted(key: string): number {
    return this.requests.filter((r) => r.key === key && r.status === 201).length;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
