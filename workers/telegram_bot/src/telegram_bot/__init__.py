"""The telegram-bot Worker."""

WORKER_NAME = "telegram-bot"
__version__ = "0.1.0"
