"""The composition layer: the only place that wires extract/, transform/ and load/ together.

stages.py  what each trigger runs: one stage per trigger, each a plain function of the settings
chain.py   the same stages played in-process, in order, for the CLI (upload → raw → curated →
           queue → load), with the queue drained the way the queue trigger would
"""
