// A real HTTP server on 127.0.0.1 standing in for something we cannot run (an LLM provider, the
// Telegram Bot API): the Worker reaches it with Node's real fetch, over a socket.
import http from "node:http";

/**
 * `handler(req, body, res)` answers; `req.url`, `req.method`, `req.headers` as Node gives them and
 * `body` the whole request body as a string. Every request is recorded in `server.requests`.
 */
export async function startServer(handler) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const parts = [];
    for await (const part of req) parts.push(part);
    const body = Buffer.concat(parts).toString();
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    try {
      await handler(req, body, res);
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error?.stack ?? error));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** Answer with JSON. */
export function replyJson(res, data, status = 200) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(data));
}
