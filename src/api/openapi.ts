import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export function openApiFile(projectRoot: string): string {
  return path.join(projectRoot, 'src', 'api', 'openapi.yaml');
}

interface Operation {
  summary?: string;
  'x-roles'?: string[];
}

let cached: string | undefined;

/** /api/docs: the operations of openapi.yaml as a page (no external assets: dealer networks are often closed). */
export function docsPage(projectRoot = process.cwd()): string {
  if (cached) return cached;
  const spec = YAML.parse(fs.readFileSync(openApiFile(projectRoot), 'utf8')) as { info: { title: string; description: string }; paths: Record<string, Record<string, Operation>> };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = Object.entries(spec.paths)
    .flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => `<tr><td><code>${m.toUpperCase()}</code></td><td><code>${esc(p)}</code></td><td>${esc(op.summary ?? '')}</td><td>${esc((op['x-roles'] ?? ['any signed-in user']).join(', '))}</td></tr>`))
    .join('\n');
  cached = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>${esc(spec.info.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}td{padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}</style>
<h1>${esc(spec.info.title)}</h1><p>接口说明 · API reference — <a href="/api/docs/openapi.yaml">openapi.yaml</a></p>
<pre>${esc(spec.info.description)}</pre><table><tr><th>Method</th><th>Path</th><th>What</th><th>Roles</th></tr>${rows}</table></html>`;
  return cached;
}
