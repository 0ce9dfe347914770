"""The component's concerns, one module each.

Every module has one `create_*` (or `lookup_*`) function that takes the parent component, the typed
settings it needs and the tags, registers its resources with `parent=` set, and returns a small
frozen dataclass of what the other concerns need. Argument objects come from the pure builders in
`ab_routing.routing`, `ab_routing.monitoring` and `ab_routing.access_logs`; nothing here creates a
resource inside an `apply`.
"""
