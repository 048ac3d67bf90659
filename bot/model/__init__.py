"""The persisted types (papers, subscriptions, reading profiles, summaries) and the store
interface, split into role protocols that the full store combines.

Exactly what ``storage/`` needs: it imports only ``bot.contract`` and the standard library, so a
storage implementation never pulls in parsing, rendering or services.
"""
