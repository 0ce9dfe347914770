"""`python -m ab_routing verify`: does the live load balancer do what the stack config says?

Two halves that share nothing but the result document:
- the deployed configuration, read through the ELBv2 API (`drift`, with `forward`, `rules`,
  `health` doing one comparison each), read-only;
- the traffic itself, sent from this machine (`traffic` sends, `checks` judges).
`render` prints both; `cli` wires them to the command line.
"""

VERSION = "0.1.0"
USER_AGENT = f"ab-routing-verify/{VERSION}"
"""Sent with every request, so access logs and analyses can tell verify's traffic from users'."""
