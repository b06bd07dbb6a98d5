"""What the warehouse's data says beyond the summary: a hit model and listening modes.

Each analysis gathers its inputs with SQL (rendered per dialect, so DuckDB and Synapse compute
the same features), decides in pure functions over arrays (scikit-learn), and applies by writing
curated Parquet and a load message: the results reach the warehouse through the same chain as
everything else (analysis.runs). scikit-learn is imported by these modules only, never on the
import path of function_app.

- chart_runs: every (track, region) run on the Top 200, its first week and what came after;
- hit_model: a RandomForest predicting peak rank and days on chart from the first week;
- sessions: every listening session with the features the modes are found from;
- modes: K-means over sessions (and over listeners), with plain-word labels;
- runs: the analyses end to end, from a warehouse to curated files, models/ and load messages.
"""
