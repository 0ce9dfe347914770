"""Entry point for `pulumi up`: everything lives in the ab_routing package."""

from ab_routing.program import main

main()
