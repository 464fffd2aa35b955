"""The telemetry Worker."""

WORKER_NAME = "telemetry"
__version__ = "0.1.0"
