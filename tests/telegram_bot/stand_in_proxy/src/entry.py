"""A minimal OpenAI-compatible gateway over env.AI (test stand-in for workers/ai_proxy)."""

import json

from pyodide.ffi import JsException
from workers import Response, WorkerEntrypoint


def error(status, message):
    body = {"error": {"message": message, "type": "api_error", "param": None, "code": None}}
    return Response(json.dumps(body), status=status, headers={"content-type": "application/json"})


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        headers = request.headers
        if headers.get("authorization") != f"Bearer {self.env.PROXY_API_KEYS}":
            return error(401, "Incorrect API key provided.")
        path = request.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        models = self.env.MODELS.split(",")
        if path == "v1/models":
            data = [{"id": m, "object": "model", "owned_by": "workers-ai"} for m in models]
            return Response(json.dumps({"object": "list", "data": data}), headers={"content-type": "application/json"})
        if path != "v1/chat/completions":
            return error(404, "not found")
        body = await request.json()
        inputs = {"messages": body["messages"], "stream": bool(body.get("stream"))}
        if body.get("max_tokens"):
            inputs["max_tokens"] = body["max_tokens"]
        try:
            result = await self.env.AI.run(body["model"], inputs)
        except JsException as failure:
            return error(502, f"upstream failed: {failure}")
        if body.get("stream"):
            return Response(result, headers={"content-type": "text/event-stream"})
        return Response(json.dumps(result), headers={"content-type": "application/json"})
