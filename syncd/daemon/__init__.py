"""``syncd run``: the long-running service (scheduler, claims, spool, signals, health)."""
