import mongoose, { type Connection } from 'mongoose';

/**
 * An operation waits at most this long for the server (then fails as unreachable): a desk command or
 * an API request during an outage is refused within seconds, and writes that must land are retried.
 */
const SELECTION_TIMEOUT_MS = 3_000;

// commands issued while the connection is down wait for it no longer than that either
mongoose.set('bufferTimeoutMS', SELECTION_TIMEOUT_MS);

export async function connectMongo(uri: string, timeoutMs = 10_000): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: SELECTION_TIMEOUT_MS, autoIndex: false });
    try {
      await conn.asPromise();
      return conn;
    } catch (err) {
      await conn.close().catch(() => undefined);
      if (Date.now() + SELECTION_TIMEOUT_MS < deadline) continue;
      throw unreachable(uri, err);
    }
  }
}

function unreachable(uri: string, err: unknown): Error {
  let where = 'the configured server';
  try {
    where = new URL(uri.replace(/^mongodb(\+srv)?:/, 'http:')).host;
  } catch {
    /* keep the generic name */
  }
  return new Error(`MongoDB at ${where} is unreachable (${(err as Error).message})`);
}

/** True when the server answers a ping now. */
export async function mongoAlive(conn: Connection): Promise<boolean> {
  if (conn.readyState !== 1 || !conn.db) return false;
  try {
    await conn.db.admin().ping({ maxTimeMS: 1000 });
    return true;
  } catch {
    return false;
  }
}
