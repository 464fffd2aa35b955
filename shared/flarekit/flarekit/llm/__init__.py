"""LLM providers and routing: wire formats (OpenAI, Anthropic, Workers AI), SSE, the provider
registry, routing strategies, circuit breakers, failover with retries, prices and cost."""
