"""Curated → warehouse: one load plan, rendered for DuckDB (embedded) or Synapse."""
