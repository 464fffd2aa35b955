// Sending requests into a Worker as workerd would: a real JS `Request` (Node's, the same Fetch API
// class workerd implements) delivered to Default.fetch, the JS `Response` read back.

/** The URL a request to `worker` carries; the host is only for the Worker's eyes. */
export function urlFor(worker, path) {
  return new URL(path, `https://${worker}.flarekit.test`).toString();
}

/** Build a Request; `json` sets a JSON body and content type. */
export function makeRequest(worker, path, { method, headers = {}, body, json } = {}) {
  const init = { method: method ?? (body !== undefined || json !== undefined ? "POST" : "GET"), headers: { ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["content-type"] ??= "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  return new Request(urlFor(worker, path), init);
}

/** Send a request to `worker` in `world`; the response body is read whole (text, and JSON if it parses). */
export async function send(world, worker, path, options = {}) {
  const handle = await world.worker(worker);
  const response = await handle.fetch(makeRequest(worker, path, options));
  if (!(response instanceof Response)) {
    throw new Error(`${worker} ${path}: fetch returned ${Object.prototype.toString.call(response)}, not a Response`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

/** Send a request and read a server-sent-events body chunk by chunk: returns the data lines. */
export async function sendStreaming(world, worker, path, options = {}) {
  const handle = await world.worker(worker);
  const response = await handle.fetch(makeRequest(worker, path, options));
  const chunks = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body) chunks.push(decoder.decode(chunk, { stream: true }));
  const text = chunks.join("");
  const events = text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trim());
  return { status: response.status, headers: response.headers, chunks, events, text };
}
