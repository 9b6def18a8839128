"""Cron schedules as a CronJob's spec.schedule writes them (pure): five fields
(minute, hour, day of month, month, day of week) of numbers, ranges, lists, steps,
`*`, month and day names, or a macro (@hourly, @daily, ...), read in UTC as the
controller reads them without a timeZone. Day of month and day of week, when both are
restricted, match either (cron's rule)."""
import calendar
import time

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
DAYS = {d.lower(): (i + 1) % 7 for i, d in enumerate(calendar.day_abbr)}
# (lowest, highest, names) of each field.
FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (0, 7, DAYS))
SEARCH_MINUTES = 4 * 366 * 24 * 60   # a schedule that never comes (Feb 30) ends here


class ScheduleError(ValueError):
    pass


def _value(text, names, low, high):
    value = names.get(text.lower()) if text.lower() in names else None
    if value is None:
        if not text.isdigit():
            raise ScheduleError("%r is not a number" % text)
        value = int(text)
    if not low <= value <= high:
        raise ScheduleError("%d is out of range %d-%d" % (value, low, high))
    return value


def _field(text, low, high, names):
    """The set of values a field allows; whether it was `*` (unrestricted)."""
    values = set()
    for part in text.split(","):
        term, _, step = part.partition("/")
        step = _value(step, {}, 1, high) if step else 1
        if term == "*":
            first, last = low, high
        elif "-" in term:
            first, last = (_value(t, names, low, high) for t in term.split("-", 1))
            if first > last:
                raise ScheduleError("the range %s runs backwards" % term)
        else:
            first = _value(term, names, low, high)
            last = high if step > 1 else first
        values.update(range(first, last + 1, step))
    return values, text == "*"


def parse(schedule):
    """[(allowed values, unrestricted)] for the five fields; raises ScheduleError."""
    text = MACROS.get(schedule.strip(), schedule.strip())
    parts = text.split()
    if len(parts) != 5:
        raise ScheduleError("expected exactly 5 fields, found %d: %s" % (len(parts), schedule))
    fields = [_field(p, low, high, names) for p, (low, high, names) in zip(parts, FIELDS)]
    weekdays, any_weekday = fields[4]
    fields[4] = ({d % 7 for d in weekdays}, any_weekday)
    return fields


def _day_matches(fields, moment):
    days, weekdays = fields[2], fields[4]
    day_ok = moment.tm_mday in days[0]
    weekday_ok = (moment.tm_wday + 1) % 7 in weekdays[0]
    return day_ok and weekday_ok if days[1] or weekdays[1] else day_ok or weekday_ok


def next_after(fields, after):
    """The first scheduled time (seconds since the epoch, a whole minute) later than
    after, or None within four years. Skips a month, day or hour that cannot match
    whole."""
    minutes, hours, _, months, _ = fields
    moment_at = (int(after) // 60 + 1) * 60
    end = moment_at + SEARCH_MINUTES * 60
    while moment_at < end:
        m = time.gmtime(moment_at)
        if m.tm_mon not in months[0]:
            year, month = (m.tm_year + 1, 1) if m.tm_mon == 12 else (m.tm_year, m.tm_mon + 1)
            moment_at = calendar.timegm((year, month, 1, 0, 0, 0))
        elif not _day_matches(fields, m):
            moment_at = calendar.timegm((m.tm_year, m.tm_mon, m.tm_mday, 0, 0, 0)) + 86400
        elif m.tm_hour not in hours[0]:
            moment_at = calendar.timegm((m.tm_year, m.tm_mon, m.tm_mday, m.tm_hour, 0, 0)) \
                + 3600
        elif m.tm_min not in minutes[0]:
            moment_at += 60
        else:
            return moment_at
    return None


def last_due(fields, since, now):
    """The latest scheduled time in (since, now], or None."""
    found, moment = None, since
    while True:
        moment = next_after(fields, moment)
        if moment is None or moment > now:
            return found
        found = moment
