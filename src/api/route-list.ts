import type express from 'express';

interface Layer {
  route?: { path: string | RegExp | (string | RegExp)[]; methods: Record<string, boolean> };
}

/** The routes an express app answers (method and path), read from its router: what the OpenAPI document must cover. */
export function expressRoutes(app: express.Express): { method: string; path: string }[] {
  const stack = (app.router as unknown as { stack: Layer[] }).stack;
  return stack.flatMap((layer) => {
    const r = layer.route;
    if (!r) return [];
    // a RegExp path is the web app's fallback (index.html for its own routes), not an API route
    const paths = (Array.isArray(r.path) ? r.path : [r.path]).filter((p): p is string => typeof p === 'string');
    const methods = Object.keys(r.methods);
    return paths.flatMap((path) => methods.map((method) => ({ method, path })));
  });
}
