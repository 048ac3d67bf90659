"""The composition root: the `arxiv-bot` command line, the wiring of services, adapters and
storage, the scheduler and logging. The only package that imports everything; nothing imports
it.
"""
