// Self-tests of the harness: Workers under tests/pyodide/fixtures/ break a boundary rule on purpose,
// and the tier must catch each one with a message that says what was wrong. If one of these
// passes quietly, the tier has stopped catching what it exists to catch.
import assert from "node:assert/strict";
import { send } from "../lib/driver.mjs";
import { WorkerLoadError } from "../lib/isolate.mjs";
import { World } from "../lib/world.mjs";

async function loadFails(plan, name, pattern) {
  const world = new World(plan.fixtures);
  await assert.rejects(world.worker(name), (error) => {
    assert.ok(error instanceof WorkerLoadError, `expected a WorkerLoadError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

async function requestFails(world, worker, path, pattern) {
  await assert.rejects(send(world, worker, path), (error) => {
    assert.match(String(error?.message ?? error), pattern);
    return true;
  });
}

export const cases = [
  {
    name: "uuid4() at import fails to load, as on workerd",
    run: ({ plan }) => loadFails(plan, "uuid-at-import", /OSError: \[Errno \d+\] Cannot get entropy outside of request context/),
  },
  {
    name: "random.random() at import fails to load, as on workerd",
    run: ({ plan }) => loadFails(plan, "random-at-import", /RuntimeError: Cannot use random\.random\(\) outside of request context/),
  },
  {
    name: "entropy inside a request is allowed",
    async run({ world }) {
      const response = await send(world, "rpc-boundary", "/entropy");
      assert.equal(response.status, 200);
      assert.match(response.text, /^[0-9a-f]{32}$/);
    },
  },
  {
    name: "a tuple returned over Durable Object RPC fails the request",
    run: ({ world }) => requestFails(world, "rpc-boundary", "/tuple", /TypeError: <class 'tuple'> cannot be sent over RPC/),
  },
  {
    name: "a keyword argument over Durable Object RPC arrives as an extra argument and fails",
    run: ({ world }) => requestFails(world, "rpc-boundary", "/kwargs", /TypeError: Box\.echo\(\) takes 2 positional arguments but 3 were given/),
  },
  {
    name: "values over Durable Object RPC come back converted as in production",
    async run({ world }) {
      const { json } = await send(world, "rpc-boundary", "/values");
      assert.equal(json.type, "JsDict");
      assert.deepEqual(json.items.whole, { type: "int", repr: "3" });
      assert.deepEqual(json.items.none, { type: "NoneType", repr: "None" });
      assert.equal(json.items.bytes.type, "memoryview");
      assert.equal(json.items.nested.items[0].type, "JsDict");
    },
  },
  {
    name: "a Durable Object keeps its SQL storage between calls",
    async run({ world }) {
      const first = await send(world, "rpc-boundary", "/count");
      const second = await send(world, "rpc-boundary", "/count");
      assert.deepEqual([first.text, second.text], ["2", "4"]);
    },
  },
  {
    name: "a Durable Object alarm fires and runs the alarm handler",
    async run({ world }) {
      const before = Number((await send(world, "rpc-boundary", "/total")).text);
      await send(world, "rpc-boundary", "/alarm");
      assert.deepEqual(await world.settle(), []);
      assert.equal(Number((await send(world, "rpc-boundary", "/total")).text), before + 100);
    },
  },
];

export function setup({ plan }) {
  return { world: new World(plan.fixtures) };
}
