// The AI proxy: an OpenAI-compatible chat completion, plain and streamed, relayed to a local
// upstream that speaks OpenAI's wire format (Node's real fetch, over a socket); the second identical
// request is served from the cache without reaching the upstream.
import assert from "node:assert/strict";
import { makeRequest, send, sendStreaming } from "../lib/driver.mjs";
import { startServer } from "../lib/local_server.mjs";
import { World } from "../lib/world.mjs";

const KEY = "sk-flarekit-dev"; // PROXY_API_KEYS in workers/ai_proxy/.dev.vars.example
const UPSTREAM_KEY = "sk-upstream-test";

function completion(model, text) {
  return {
    id: "chatcmpl-local",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
  };
}

function chunk(model, delta, finish = null, usage = undefined) {
  const event = { id: "chatcmpl-local", object: "chat.completion.chunk", created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] };
  if (usage) event.usage = usage;
  return `data: ${JSON.stringify(event)}\n\n`;
}

async function openAiUpstream(req, body, res) {
  const request = JSON.parse(body);
  if (!request.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(completion(request.model, `echo: ${request.messages.at(-1).content}`)));
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(chunk(request.model, { role: "assistant", content: "" }));
  for (const word of ["Hello", " from", " upstream"]) res.write(chunk(request.model, { content: word }));
  res.write(chunk(request.model, {}, "stop", { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }));
  res.end("data: [DONE]\n\n");
}

export async function setup({ plan }) {
  const upstream = await startServer(openAiUpstream);
  const gateway = {
    providers: { local: { type: "openai", base_url: `${upstream.url}/v1`, api_key_env: "UPSTREAM_KEY" } },
    models: { "gpt-4o-mini": [{ provider: "local", model: "gpt-4o-mini" }] },
  };
  const overrides = { "ai-proxy": { GATEWAY_CONFIG: JSON.stringify(gateway), UPSTREAM_KEY } };
  return { upstream, world: new World(plan.workers, { overrides }) };
}

export const teardown = ({ upstream }) => upstream.close();

const auth = { authorization: `Bearer ${KEY}` };
const chatBody = (content, extra = {}) => ({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content }], ...extra });

export const cases = [
  {
    name: "a chat completion is relayed to the upstream with its key and answered in OpenAI's format",
    async run({ world, upstream }) {
      const response = await send(world, "ai-proxy", "/v1/chat/completions", { json: chatBody("ping"), headers: auth });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json.object, "chat.completion");
      assert.equal(response.json.choices[0].message.content, "echo: ping");
      const seen = upstream.requests.at(-1);
      assert.equal(seen.url, "/v1/chat/completions");
      assert.equal(seen.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    },
  },
  {
    name: "the same request again is served from the cache, not the upstream",
    async run({ world, upstream }) {
      const before = upstream.requests.length;
      const response = await send(world, "ai-proxy", "/v1/chat/completions", { json: chatBody("ping"), headers: auth });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json.choices[0].message.content, "echo: ping");
      assert.equal(upstream.requests.length, before, "the upstream was called again");
    },
  },
  {
    name: "a streamed chat completion arrives as server-sent events ending with [DONE]",
    async run({ world }) {
      const response = await sendStreaming(world, "ai-proxy", "/v1/chat/completions", {
        json: chatBody("stream please", { stream: true }),
        headers: auth,
      });
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers.get("content-type"), /text\/event-stream/);
      assert.equal(response.events.at(-1), "[DONE]");
      const text = response.events
        .slice(0, -1)
        .map((e) => JSON.parse(e).choices?.[0]?.delta?.content ?? "")
        .join("");
      assert.equal(text, "Hello from upstream");
    },
  },
  {
    name: "a request without a key is refused with 401",
    async run({ world }) {
      const response = await send(world, "ai-proxy", "/v1/chat/completions", { json: chatBody("ping") });
      assert.equal(response.status, 401, response.text);
    },
  },
];

export const bench = [
  {
    name: "chat completion, cache miss (ai-proxy)",
    worker: "ai-proxy",
    request: (context, i) => makeRequest("ai-proxy", "/v1/chat/completions", { json: chatBody(`miss ${i} ${Date.now()}`), headers: auth }),
  },
  {
    name: "chat completion, cache hit (ai-proxy)",
    worker: "ai-proxy",
    request: () => makeRequest("ai-proxy", "/v1/chat/completions", { json: chatBody("the same question"), headers: auth }),
  },
];
