// Workers AI as workerd presents it: an object of class `Ai` (the SDK wraps that name) whose
// `run(model, inputs, options)` resolves to the model's JSON answer, or to a ReadableStream of
// server-sent events when `inputs.stream` is set. The answers come from `answer(model, inputs)`,
// which a smoke case may replace; the default is a short labelled reply in the legacy text shape
// (`{response, usage}`; streamed as `data: {"response": ...}` events, then `data: [DONE]`).

const encoder = new TextEncoder();

export function defaultAnswer(model, inputs) {
  const text = `[pyodide-tier] answer from ${model}`;
  return { response: text, usage: { prompt_tokens: (inputs.messages ?? []).length, completion_tokens: 5, total_tokens: 5 } };
}

export class Ai {
  constructor(answer = defaultAnswer) {
    this.answer = answer;
    this.calls = [];
  }

  async run(model, inputs = {}, options = {}) {
    this.calls.push({ model, inputs: structuredClone(inputs), options: structuredClone(options ?? {}) });
    const result = await this.answer(model, inputs, options);
    if (!inputs.stream) return result;
    const words = String(result.response ?? "").split(/(?<= )/);
    const events = [...words.map((w) => ({ response: w })), { response: "", usage: result.usage }];
    return new ReadableStream({
      start(controller) {
        for (const event of events) controller.enqueue(encoder.encode(`data: ${JSON.stringify(event)}\n\n`));
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      },
    });
  }
}
