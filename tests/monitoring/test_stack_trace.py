"""One trace follows a Telegram message: the bot's webhook, the chat object handling the update, the
bot's call to the proxy, the proxy's request and its call to the provider, found in the telemetry
Worker by trace id with every parent/child link right."""

from __future__ import annotations

from stack import UPSTREAM_MODEL, running_stack

from flarekit.tracing.propagation import parse_traceparent

SERVER, CLIENT, CONSUMER, INTERNAL = 2, 3, 5, 1


async def test_a_telegram_message_is_one_trace_through_the_bot_and_the_proxy_to_the_provider(flaresim):
    async with running_stack(flaresim) as stack:
        assert (await stack.telegram("what is a trace?")).status == 200
        await flaresim.drain()
        assert stack.bot_api.chat(1111111)[-1] == "upstream says: what is a trace?"

        (headers,) = stack.upstream.headers  # the provider saw the trace, as a child of the proxy's GenAI span
        onward = parse_traceparent(headers["traceparent"])
        assert onward is not None and onward.trace_flags.sampled
        trace_id = f"{onward.trace_id:032x}"

        page = await stack.get_json(f"/api/telemetry/query?event_type=otel.span&trace_id={trace_id}&limit=100")
        spans = {(e["data"]["resource"]["service.name"], e["data"]["name"]): e["data"] for e in page["events"]}
        assert {s["trace_id"] for s in spans.values()} == {trace_id}

        webhook = spans[("telegram-bot", "POST /telegram/webhook")]
        update = spans[("telegram-bot", "telegram update")]
        bot_call = spans[("telegram-bot", "POST /v1/chat/completions")]
        proxy = spans[("ai-proxy", "POST /v1/chat/completions")]
        lookup = spans[("ai-proxy", "cache lookup")]
        model = spans[("ai-proxy", f"chat {UPSTREAM_MODEL}")]

        assert (webhook["kind"], webhook["parent_span_id"]) == (SERVER, "")  # the root: Telegram sends none
        assert webhook["attributes"]["http.response.status_code"] == 200
        assert (update["kind"], update["parent_span_id"]) == (CONSUMER, webhook["span_id"])
        assert (bot_call["kind"], bot_call["parent_span_id"]) == (CLIENT, update["span_id"])
        assert bot_call["attributes"]["http.response.status_code"] == 200
        assert (proxy["kind"], proxy["parent_span_id"]) == (SERVER, bot_call["span_id"])
        assert proxy["attributes"]["http.route"] == "/v1/chat/completions"
        assert (lookup["kind"], lookup["parent_span_id"]) == (INTERNAL, proxy["span_id"])
        assert lookup["attributes"]["flarekit.cache.hit"] is False
        assert (model["kind"], model["parent_span_id"]) == (CLIENT, proxy["span_id"])
        assert model["span_id"] == f"{onward.span_id:016x}"

        genai = model["attributes"]
        assert genai["gen_ai.operation.name"] == "chat" and genai["gen_ai.provider.name"] == "openai"
        assert genai["gen_ai.request.model"] == genai["gen_ai.response.model"] == UPSTREAM_MODEL
        assert genai["gen_ai.usage.input_tokens"] == 10 and genai["gen_ai.usage.output_tokens"] > 0
        assert genai["gen_ai.response.finish_reasons"] == ["stop"]
        assert genai["gen_ai.request.stream"] is True and genai["gen_ai.response.time_to_first_chunk"] >= 0
        assert "gen_ai.input.messages" not in genai  # prompts are recorded only when opted in

        # The proxy's request record names the same trace, so the log and the trace link up.
        records = await stack.get_json(f"/api/telemetry/query?event_type=ai.request&trace_id={trace_id}")
        (record,) = [e["data"] for e in records["events"]]
        assert record["key_name"] == "dev" and record["trace_id"] == trace_id


async def test_the_genai_span_of_each_failed_attempt_says_why_and_the_retry_waits_in_its_own_span(flaresim):
    async with running_stack(flaresim) as stack:
        stack.upstream.script.append(("status", 503))
        completion = await stack.client().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "try again"}]
        )
        assert completion.choices[0].message.content == "upstream says: try again"
        await flaresim.drain()
        first, second = (parse_traceparent(h["traceparent"]) for h in stack.upstream.headers)
        assert first.trace_id == second.trace_id and first.span_id != second.span_id
        page = await stack.get_json(f"/api/telemetry/query?event_type=otel.span&trace_id={first.trace_id:032x}")
        spans = {e["data"]["span_id"]: e["data"] for e in page["events"]}
        failed, answered = spans[f"{first.span_id:016x}"], spans[f"{second.span_id:016x}"]
        assert failed["status"]["code"] == 2 and failed["attributes"]["error.type"] == "503"
        assert answered["status"]["code"] == 0 and answered["attributes"]["gen_ai.usage.input_tokens"] == 10
        names = sorted(s["name"] for s in spans.values())
        assert names == sorted(
            [
                "POST /v1/chat/completions",
                "cache lookup",
                "retry backoff",
                f"chat {UPSTREAM_MODEL}",
                f"chat {UPSTREAM_MODEL}",
            ]
        )
