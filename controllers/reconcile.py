"""What to send so that a switch holds exactly the desired flows and groups (pure)."""
from collections import namedtuple
from typing import Dict, Iterable

from controllers.flows import Group, cookie_of
from controllers.tables import LEARNED_TAG, TAG_MASK


class Changes(namedtuple("Changes", "groups_to_add flows_to_add groups_to_modify "
                                    "cookies_to_delete groups_to_delete")):
    """What to send, in the order to send it: nothing may point at what is not there
    yet, and nothing is removed while something still points at it. New groups, then
    new flows (among them the DNAT rules of new endpoints, and flows that replace
    others with the same match), then changed groups (which may now pick the new
    endpoints), then stale flows, then stale groups."""

    def empty(self):
        return not any(self)

    def messages(self):
        """(kind, item) in the order to send them: "group_add" (a Group),
        "flow_add" (a Flow), "group_modify" (a Group), "flow_delete" (a cookie),
        "group_delete" (a group id)."""
        for kind, items in (("group_add", self.groups_to_add),
                            ("flow_add", self.flows_to_add),
                            ("group_modify", self.groups_to_modify),
                            ("flow_delete", self.cookies_to_delete),
                            ("group_delete", self.groups_to_delete)):
            for item in items:
                yield kind, item

    def summary(self):
        return ("%d groups added, %d flows added, %d groups changed, %d flows removed, "
                "%d groups removed" % tuple(len(part) for part in self))


def plan_changes(config, present_group_ids: Iterable[int], present_cookies: Iterable[int],
                 sent_groups: Dict[int, Group]) -> Changes:
    """config: the SwitchConfig wanted (None: nothing); present_*: what the switch
    reported; sent_groups: {id: Group} this controller last sent it (groups are
    re-sent when they differ from that, or when the switch lacks them)."""
    flows = config.flows if config else set()
    groups = config.groups if config else {}
    by_cookie = {cookie_of(f): f for f in flows}
    present = {c for c in present_cookies if c & TAG_MASK != LEARNED_TAG}
    present_groups = set(present_group_ids)
    return Changes(
        [g for gid, g in sorted(groups.items()) if gid not in present_groups],
        [f for c, f in sorted(by_cookie.items()) if c not in present],
        [g for gid, g in sorted(groups.items())
         if gid in present_groups and sent_groups.get(gid) != g],
        sorted(present - set(by_cookie)),
        sorted(present_groups - set(groups)))
