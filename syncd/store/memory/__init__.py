"""``MemoryStore``: the store in one process's memory, for tests and dry runs.

It keeps the SQL store's semantics (:mod:`syncd.store.abc`): measurements upsert on their
natural key with revisions, the same items are refused with the same reasons, dead letters,
check-ins, runs closed as interrupted by the same rules, slot claims with leases and
deliveries claimed before they are sent. Every call holds one lock, so threads see each call
whole, as they see a transaction. Nothing outlives the process.

``MemoryStore.open("memory://")`` gives a store of its own; ``memory://<name>`` names a store
that every ``open`` of the same URL in this process shares (several "instances" on one store),
until :meth:`MemoryStore.drop` forgets it. Job locks are locks of this process.
"""

from syncd.store.memory.coordination import MemoryCoordination
from syncd.store.memory.deliveries import MemoryDeliveries
from syncd.store.memory.measurements import MemoryMeasurements
from syncd.store.memory.runs import MemoryRunLog
from syncd.store.memory.sinks import MemorySinkLedger
from syncd.store.memory.state import SCHEME

__all__ = ["SCHEME", "MemoryStore"]


class MemoryStore(
    MemoryMeasurements, MemoryRunLog, MemoryCoordination, MemoryDeliveries, MemorySinkLedger
):
    """A :class:`~syncd.store.abc.StateStore` in this process's memory (see the module); one
    class per concern, over one shared state."""
