// The Telegram bot: a webhook update is acknowledged at once, and the answer reaches a local fake
// Bot API (sendMessage) after the response, through the chat's Durable Object and the AI proxy.
import assert from "node:assert/strict";
import { makeRequest, send } from "../lib/driver.mjs";
import { replyJson, startServer } from "../lib/local_server.mjs";
import { World } from "../lib/world.mjs";

const SECRET = "dev-webhook-secret";
let nextUpdate = 1000;

function update(text, chatId = 42) {
  nextUpdate += 1;
  return {
    update_id: nextUpdate,
    message: {
      message_id: nextUpdate,
      date: 1_700_000_000,
      chat: { id: chatId, type: "private" },
      from: { id: chatId, is_bot: false, first_name: "Ada" },
      text,
    },
  };
}

export async function setup({ plan }) {
  let messageId = 1;
  const botApi = await startServer((req, body, res) => {
    const method = req.url.split("/").pop();
    if (method === "getMe") return replyJson(res, { ok: true, result: { id: 1, is_bot: true, username: "flarekit_bot" } });
    messageId += 1;
    return replyJson(res, { ok: true, result: { message_id: messageId, chat: { id: 42 }, date: 1_700_000_000, text: "" } });
  });
  const world = new World(plan.workers, { overrides: { "telegram-bot": { TELEGRAM_API_BASE: botApi.url } } });
  return { world, botApi };
}

export const teardown = ({ botApi }) => botApi.close();

const webhook = (body) =>
  makeRequest("telegram-bot", "/telegram/webhook", { json: body, headers: { "x-telegram-bot-api-secret-token": SECRET } });

export const cases = [
  {
    name: "a webhook without the secret header is refused with 401",
    async run({ world }) {
      const response = await send(world, "telegram-bot", "/telegram/webhook", { json: update("hi") });
      assert.equal(response.status, 401, response.text);
    },
  },
  {
    name: "a message is acknowledged with 200 and answered with sendMessage on the Bot API",
    async run({ world, botApi }) {
      const handle = await world.worker("telegram-bot");
      const response = await handle.fetch(webhook(update("/start")));
      assert.equal(response.status, 200, await response.text());
      assert.deepEqual(await world.settle(), []);
      const sent = botApi.requests.filter((r) => r.url.endsWith("/sendMessage"));
      assert.ok(sent.length >= 1, `no sendMessage; Bot API saw ${botApi.requests.map((r) => r.url)}`);
      assert.equal(JSON.parse(sent.at(-1).body).chat_id, 42);
    },
  },
];

export const bench = [
  {
    name: "bot webhook acknowledgement (telegram-bot)",
    worker: "telegram-bot",
    request: () => webhook(update("/help")),
  },
];
