import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const t = globalThis.__testServices;
  if (!t) return;
  for (const s of t.services.reverse()) await s.stop();
  fs.rmSync(t.dir, { recursive: true, force: true });
}
