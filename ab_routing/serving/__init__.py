"""Serving the variants: demo Lambda functions and Fargate services (issue 13).

Pure modules only (settings, policies, argument builders, the demo handler); resources are
registered by `ab_routing.resources.demo` and `ab_routing.resources.containers`.
"""
