"""What to send so that a switch holds exactly the desired flows and groups (pure)."""
from collections import namedtuple

from controllers.flows import cookie_of
from controllers.tables import LEARNED_TAG, TAG_MASK


class Changes(namedtuple("Changes", "groups_to_set cookies_to_delete flows_to_add "
                                    "groups_to_delete")):
    def empty(self):
        return not any(self)

    def summary(self):
        return "%d groups set, %d flows removed, %d flows added, %d groups removed" % tuple(
            len(part) for part in self)


def plan_changes(config, present_group_ids, present_cookies, sent_groups):
    """config: the SwitchConfig wanted (None: nothing); present_*: what the switch
    reported; sent_groups: {id: Group} this controller last sent it (groups are
    re-sent when they differ from that, or when the switch lacks them)."""
    flows = config.flows if config else set()
    groups = config.groups if config else {}
    by_cookie = {cookie_of(f): f for f in flows}
    present = {c for c in present_cookies if c & TAG_MASK != LEARNED_TAG}
    present_groups = set(present_group_ids)
    return Changes(
        [g for gid, g in sorted(groups.items())
         if gid not in present_groups or sent_groups.get(gid) != g],
        sorted(present - set(by_cookie)),
        [f for c, f in sorted(by_cookie.items()) if c not in present],
        sorted(present_groups - set(groups)))
