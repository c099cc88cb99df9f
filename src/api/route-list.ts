import type express from 'express';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** The routes an express app answers (method and path), read from its router: what the OpenAPI document must cover. */
export function expressRoutes(app: express.Express): { method: string; path: string }[] {
  const stack = (app.router as unknown as { stack: Layer[] }).stack;
  return stack.flatMap((layer) => {
    const r = layer.route;
    if (!r) return [];
    const paths = Array.isArray(r.path) ? r.path : [r.path];
    const methods = Object.keys(r.methods);
    return paths.flatMap((path) => methods.map((method) => ({ method, path })));
  });
}
