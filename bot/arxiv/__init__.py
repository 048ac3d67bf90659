"""Everything that talks to or knows about arXiv: the polite HTTP transport (one clock for all
arXiv traffic), the announcement feed, the API, identifiers, the category taxonomy and the
lookup of one paper.

Imports ``bot.model`` and below.
"""
