import fs from 'node:fs';
import path from 'node:path';

export class InstanceLockError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * One server per data folder. `<varDir>/run/server.pid` names the server that owns the folder's
 * embedded Redis and FerretDB: a second start while it runs is refused (it would stop them and break
 * the first server for good); a file left by a server that died is taken over, and the start goes on
 * to clean up that server's leftovers.
 */
export function acquireInstanceLock(varDir: string, self = process.pid): { file: string; release: () => void } {
  const file = path.join(varDir, 'run', 'server.pid');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${self}\n`, { flag: 'wx' });
      return {
        file,
        release: () => {
          try {
            if (Number.parseInt(fs.readFileSync(file, 'utf8'), 10) === self) fs.rmSync(file, { force: true });
          } catch {
            /* gone already */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    // A pid reused by an unrelated process is not a server of ours.
    if (Number.isInteger(pid) && pid > 0 && pid !== self && alive(pid) && /node|main\.js/.test(commandLine(pid))) {
      throw new InstanceLockError(`another server is running from ${varDir} (pid ${pid}); stop it first, or give this one its own VAR_DIR`);
    }
    fs.rmSync(file, { force: true });
  }
  throw new InstanceLockError(`could not take ${file}: another server keeps starting from ${varDir}`);
}
