"""Sinks: every measured KR value pushed once to the OKR tool a team already uses.

A sink type (:class:`syncd.abc.Sink`, registered under the entry-point group ``syncd.sinks``)
is configured under ``sinks:``; each KR names where its values go under ``push:``. The
framework turns recorded measurements into deliveries (:mod:`syncd.sinks.deliveries`: the day
rule, the key, the skip rules), delivers them through one shared outbox consumer per sink
(:mod:`syncd.sinks.consumer`: exactly once, parking on refused credentials), drains them after
a one-shot sync (:mod:`syncd.sinks.drain`), re-sends history (:mod:`syncd.sinks.push`) and
compares what the tools show (:mod:`syncd.sinks.check`). See docs/sinks.md.
"""
