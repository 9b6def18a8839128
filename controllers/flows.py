"""Flow and group specs: plain hashable data that the pure pipeline produces and
controllers/openflow.py turns into Ryu messages.

Actions are tuples:
  ("output", port | "CONTROLLER" | "IN_PORT")   ("goto", table)   ("resubmit", table)
  ("controller", id): a copy to the controller connections with that id
  ("group", id)   ("dec_ttl",)   ("set_field", field, value)
  ("ct", Ct(...))   ("learn", Learn(...))
"""
import functools
import hashlib
from collections import namedtuple

from controllers.tables import COOKIE_TAG

Flow = namedtuple("Flow", "table priority match actions")
Group = namedtuple("Group", "group_id buckets")  # buckets: tuple of action tuples
# commit: bool; zone: int; table: recirculate there (or None); nat: None, ("plain",),
# ("dst", ip, port), ("src", ip) or ("src",) (the null binding: the source stays, its
# port changes only if the reply tuple is taken); mark: ct_mark to set as (value,
# mask), or None
Ct = namedtuple("Ct", "commit zone table nat mark")
# A learned flow in table: match IPv4 source, destination and the protocol's
# destination port of the packet; load reg0 and reg1 of the packet.
Learn = namedtuple("Learn", "table priority hard_timeout cookie ip_proto")

COOKIE_HASH_MASK = (1 << 56) - 1


def flow(table, priority, match, actions):
    return Flow(table, priority, tuple(sorted(match.items())), tuple(actions))


@functools.lru_cache(maxsize=1 << 17)
def cookie_of(f):
    digest = hashlib.sha1(repr(f).encode()).digest()
    return COOKIE_TAG | (int.from_bytes(digest[:8], "big") & COOKIE_HASH_MASK)
