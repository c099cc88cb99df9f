import fs from 'node:fs';
import path from 'node:path';
import { embeddedToolsInfo } from '../util/project-root';

export class MissingBinaryError extends Error {}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

export function redisServerBinary(override: string | undefined): string {
  const found = override ?? onPath('redis-server');
  if (!found) throw new MissingBinaryError("redis-server not found: run 'npm start' once as root (it installs the Debian package), or run: apt-get install -y redis-server; or set REDIS_URL");
  return found;
}

export function ferretdbBinary(override: string | undefined, projectRoot: string): string {
  if (override) return override;
  const tools = embeddedToolsInfo(projectRoot);
  const built = path.join(projectRoot, tools.toolsDir, `ferretdb-${tools.ferretdbVersion}`);
  if (fs.existsSync(built)) return built;
  const found = onPath('ferretdb');
  if (!found) throw new MissingBinaryError(`ferretdb not found at ${built}: run 'npm start' (it builds FerretDB ${tools.ferretdbVersion} from its Go module), or set FERRETDB_BIN or MONGODB_URI`);
  return found;
}
