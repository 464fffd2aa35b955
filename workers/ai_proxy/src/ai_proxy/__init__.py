"""The ai-proxy Worker."""

WORKER_NAME = "ai-proxy"
__version__ = "0.1.0"
