"""What the stages agree on, and nothing else: the shared contracts of the event chain.

- `layout`       containers, queues and every lake path, each built and parsed in one place
- `vintages`     which files of a privacy export hold history, and the per-record rule
- `datasets`     the curated Parquet schemas (one declared Arrow schema per dataset)
- `load_message` the load queue's message: the curated files one raw file produced
- `text`         one line of an error, for every message a person reads

`extract/`, `transform/` and `load/` import this package (and `storage/`, `settings`), never
each other; tests/test_imports.py keeps it so. Nothing here does I/O.
"""
