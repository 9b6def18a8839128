"""kubectl's output formats (pure), for the API's tables: ages as kubectl prints
them, endpoint lists as it abbreviates them."""

NONE = "<none>"


def age(seconds: float) -> str:
    """kubectl's human duration: 45s, 3m20s, 25m, 5h30m, 2d3h, 12d."""
    seconds = max(0, int(seconds))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return "%ds" % seconds
    if minutes < 10:
        return "%dm%ds" % (minutes, seconds % 60) if seconds % 60 else "%dm" % minutes
    if minutes < 180:
        return "%dm" % minutes
    if hours < 8:
        return "%dh%dm" % (hours, minutes % 60) if minutes % 60 else "%dh" % hours
    if hours < 48:
        return "%dh" % hours
    if days < 8:
        return "%dd%dh" % (days, hours % 24) if hours % 24 else "%dd" % days
    return "%dd" % days


def endpoints_text(addresses: list[str], limit: int = 3) -> str:
    """'10.244.1.2:8080,10.244.2.3:8080 + 2 more...' as kubectl abbreviates it."""
    if not addresses:
        return NONE
    shown = ",".join(addresses[:limit])
    if len(addresses) > limit:
        shown += " + %d more..." % (len(addresses) - limit)
    return shown
