import mongoose, { type Connection } from 'mongoose';

export async function connectMongo(uri: string): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000, autoIndex: false });
  await conn.asPromise();
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
