// A service binding as workerd presents it: an object of class `Fetcher` (the name the SDK's
// _EnvWrapper dispatches on). `fetch(input, init)` reaches the target Worker's entrypoint (Default
// unless wrangler.toml names one) with a fresh JS Request; any other name is an RPC method called on
// a fresh entrypoint instance (WorkerEntrypoint instances are per call), values transferred as
// between two isolates.
import { acrossRpc } from "../rpc_transfer.mjs";

export class Fetcher {
  constructor(world, service, entrypoint = "Default") {
    this._world = world;
    this._service = service;
    this._entrypoint = entrypoint;
    return new Proxy(this, {
      get(target, prop) {
        if (typeof prop !== "string" || prop in target || prop.startsWith("_")) return target[prop];
        if (prop === "then") return undefined;
        return (...args) => acrossRpc(args, (sent) => target._call(prop, sent));
      },
    });
  }

  async _call(method, args) {
    const worker = await this._world.workerByService(this._service);
    return worker.call(this._entrypoint, method, args);
  }

  fetch(input, init) {
    return this._call("fetch", [new Request(input, init)]);
  }
}
