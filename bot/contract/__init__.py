"""What an adapter may see of the core: who is talking (chat identity), the neutral message
tree a command answers with, the sender contract for proactive messages, and the Adapter
protocol every door implements.

Imports nothing else from ``bot``: it is the bottom layer, and the only one an adapter needs
besides the command router.
"""
