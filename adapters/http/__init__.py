"""The HTTP door: the aiohttp server with /healthz and /metrics, and the feed routes.

Translates HTTP requests into calls on the core; no business rule lives here.
"""
