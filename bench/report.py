"""Figures to a table (pure): medians over repeated runs, ratios side by side."""
import platform
import statistics


def median(values):
    return statistics.median(values) if values else float("nan")


def describe_machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as handle:
        memory_kib = int(next(line.split()[1] for line in handle
                              if line.startswith("MemTotal:")))
    import os
    return "%s; %d cores; %.0f GiB; Linux %s; Python %s" % (
        cpu, os.cpu_count(), memory_kib / 2 ** 20, platform.release(),
        platform.python_version())


def fmt(value, unit):
    if value != value:  # NaN: not measured
        return "n/a"
    if unit == "ratio":
        return "%.2f" % value
    if unit in ("s", "min"):
        return "%.2f %s" % (value, unit)
    if unit == "ms":
        return "%.0f ms" % value
    if unit == "MiB":
        return "%.2f MiB" % value
    if unit == "Gbit/s":
        return "%.2f Gbit/s" % value
    return "%.0f %s" % (value, unit)


def table(rows):
    """rows: [(scenario, figure text, runs, goal)] -> Markdown."""
    lines = ["| scenario | figure (median) | runs | goal |", "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % row for row in rows]
    return "\n".join(lines)


NOTES_HEADING = "## How to read this"


def document(run_line, table_text, previous, notes):
    """docs/benchmarks.md with a new table: everything from NOTES_HEADING on is kept
    from previous (the notes, where earlier runs' figures and what changed them are
    written down by hand), or is notes where previous has none."""
    kept = notes
    if previous and NOTES_HEADING in previous:
        kept = previous[previous.index(NOTES_HEADING):]
    return "# kubemn benchmarks\n\n%s\n\n%s\n\n%s" % (run_line, table_text, kept)
