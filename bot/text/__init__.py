"""Untrusted text made readable and safe: LaTeX to Unicode, the model's Markdown read into
the neutral tree (links only to arXiv and DOI), abstract excerpts, and the fences that keep
untrusted text inside a prompt's tags.

Also how an arXiv author field becomes names. Imports ``bot.contract`` and ``bot.model`` only.
"""
