"""`python -m ab_routing rollout|rollback|promote`: move traffic to a variant step by step, with bake
times, automatic rollback and a record of what happened."""
