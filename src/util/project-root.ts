import fs from 'node:fs';
import path from 'node:path';

/** The folder holding this project's package.json, found from this file (works from src/ and dist/src/). */
export function findProjectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dcc-cti-server') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no dcc-cti-server package.json above ${from}`);
    dir = parent;
  }
}

export interface EmbeddedToolsInfo {
  ferretdbModule: string;
  ferretdbVersion: string;
  toolsDir: string;
}

export function embeddedToolsInfo(root: string = findProjectRoot()): EmbeddedToolsInfo {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { embedded: EmbeddedToolsInfo };
  return pkg.embedded;
}
