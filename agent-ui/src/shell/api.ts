import type { ErrorCode } from '@shared/errors';

/** A REST call that did not succeed: its code (from the body, or from the status), the server's message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'network',
    message: string,
  ) {
    super(message);
  }
}

/** The code a REST failure stands for, when the body carries none. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'unavailable';
    default:
      return 'internal';
  }
}

export type TokenSource = () => string | undefined;

/** JSON over the public REST API with the bearer token; failures as ApiFailure. */
export class Api {
  constructor(
    private readonly token: TokenSource,
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  /** The bearer token now (for requests that are not JSON: uploads, downloads, event streams). */
  currentToken(): string | undefined {
    return this.token();
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiFailure(0, 'network', err instanceof Error ? err.message : 'network error');
    }
    const text = await res.text();
    const json: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const b = (json ?? {}) as { error?: string; code?: ErrorCode };
      if (res.status === 401 && token) this.onUnauthorized();
      throw new ApiFailure(res.status, b.code ?? codeForStatus(res.status), b.error ?? res.statusText);
    }
    return json as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
