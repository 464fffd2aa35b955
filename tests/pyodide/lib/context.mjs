// The JS objects workerd hands to a Python entrypoint's constructor as `ctx`.
//
// ExecutionContext: its toString tag is what workerd's patchWaitUntil checks before patching
// `waitUntil` to accept Python awaitables, so it is reproduced. Work handed to waitUntil is kept so
// the driver can wait for it after the response (and report it if it fails): production gives it
// ~30 s after the response and logs failures.
import { AsyncLocalStorage } from "node:async_hooks";

/** The context of the request being handled, for `cloudflare:workers`.waitUntil. */
export const currentContext = new AsyncLocalStorage();

export class ExecutionContext {
  constructor(props = {}) {
    this.props = props;
    this.pending = new Set(); // work not finished yet; several callers may wait for it at once
    this.failures = [];
  }

  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }

  waitUntil(promise) {
    const tracked = Promise.resolve(promise)
      .catch((error) => {
        this.failures.push(error);
      })
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  passThroughOnException() {}

  /** Wait for everything handed to waitUntil, including work that work started. */
  async drain() {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** The failures of waitUntil work so far (each reported once). */
  takeFailures() {
    return this.failures.splice(0);
  }
}

/** `cloudflare:workers`.waitUntil: attaches to the request in progress, as workerd does. */
export function moduleWaitUntil(fallback) {
  return (promise) => (currentContext.getStore() ?? fallback).waitUntil(promise);
}
