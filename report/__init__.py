"""What a person sees of the summary: text for a terminal, and a self-contained HTML report.

text.py    the terminal's summary (`python -m cli wrapped`)
html.py    the report page (`python -m cli report`, GET /api/report)
charts.py  its charts: Vega-Lite, rendered to static SVG by vl-convert
"""
