"""`python -m ab_routing report`: per-variant CloudWatch figures, a split check and always-valid comparisons."""
