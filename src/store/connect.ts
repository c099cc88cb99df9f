import mongoose, { type Connection } from 'mongoose';

export async function connectMongo(uri: string, timeoutMs = 10_000): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: timeoutMs, autoIndex: false });
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close().catch(() => undefined);
    const where = (() => {
      try {
        return new URL(uri.replace(/^mongodb(\+srv)?:/, 'http:')).host;
      } catch {
        return 'the configured server';
      }
    })();
    throw new Error(`MongoDB at ${where} is unreachable (${(err as Error).message})`);
  }
  return conn;
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
