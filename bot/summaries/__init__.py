"""LLM summaries: the prompt, the full text (HTML > PDF > abstract), the summarizer with its
cache, budgets and retries, and the summaries of a digest's top papers.

Imports ``bot.ranking`` and below.
"""
