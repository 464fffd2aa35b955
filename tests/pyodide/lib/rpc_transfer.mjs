// What happens to a value between two workerd isolates on an RPC call (service binding or Durable
// Object stub): it is serialized with V8's structured clone, except for the types workerd transfers
// by reference (Request, Response, ReadableStream, Headers; functions become callable stubs).
// A Python object the SDK could not convert reaches here as a PyProxy and fails with DataCloneError,
// as it does in production. Errors thrown by the callee cross as clones too (name and message only).

const BY_REFERENCE = [Request, Response, ReadableStream, WritableStream, Headers];

export function transfer(value) {
  if (value === null || value === undefined) return value;
  if (typeof value === "function") return value;
  if (typeof value !== "object") return value;
  if (BY_REFERENCE.some((type) => value instanceof type)) return value;
  if (Array.isArray(value)) return value.map(transfer);
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, transfer(v)]));
  }
  return structuredClone(value);
}

/** Run `call` as the far side of an RPC: arguments and result (or error) are transferred. */
export async function acrossRpc(args, call) {
  const sent = args.map(transfer);
  let result;
  try {
    result = await call(sent);
  } catch (error) {
    throw cloneError(error);
  }
  return transfer(result);
}

function cloneError(error) {
  if (!(error instanceof Error)) return error;
  const clone = new Error(error.message);
  clone.name = ["TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError"].includes(error.name)
    ? error.name
    : "Error";
  return clone;
}
