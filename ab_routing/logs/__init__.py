"""`logs`: per-request truth from the ALB access logs (DuckDB on one machine, Athena at scale).

Modules: `fields` (the line format), `source` (local or S3 files), `query` (the one aggregation,
both dialects), `duck` / `athena` (the engines), `figures` (attribution rules), `metrics_csv`
(`period_counts` for the report), `render`, `cli`.
"""
