// Outbound `fetch` from Python is Node's real fetch (pyodide.http binds `globalThis.fetch` when the
// SDK is imported), wrapped so a scenario can send a production host to a local server, as
// flaresim's `outbound.route(host, url)` does, and see what was sent. Install before any isolate.

const routes = new Map();
export const recorded = [];
let installed = false;

export function installOutbound() {
  if (installed) return;
  installed = true;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async function routedFetch(input, init) {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const target = routes.get(url.host);
    recorded.push({ method: request.method, url: request.url, routedTo: target ?? null });
    if (recorded.length > 1000) recorded.splice(0, recorded.length - 1000);
    if (!target) return realFetch(request);
    const routed = new URL(url.pathname + url.search, target);
    return realFetch(new Request(routed, request));
  };
}

/** Send requests for `host` (e.g. "api.openai.com") to `baseUrl` (e.g. "http://127.0.0.1:PORT"). */
export function route(host, baseUrl) {
  routes.set(host, baseUrl);
}

export function clearRoutes() {
  routes.clear();
  recorded.length = 0;
}
