"""Where the CLI's words go: command output to standard output, warnings and errors
to standard error, as kubectl does. Mininet's logger sends all of it to stderr."""
import logging
import sys

from mininet.log import StreamHandlerNoNewline, lg


class _Below(logging.Filter):
    def __init__(self, level):
        super().__init__()
        self.level = level

    def filter(self, record):
        return record.levelno < self.level


def split_mininet_output():
    """Re-points Mininet's log handler: below WARNING to stdout, the rest to stderr."""
    to_stdout = StreamHandlerNoNewline(sys.stdout)
    to_stdout.addFilter(_Below(logging.WARNING))
    to_stdout.setLevel(lg.ch.level)
    to_stderr = StreamHandlerNoNewline(sys.stderr)
    to_stderr.setLevel(max(logging.WARNING, lg.ch.level))
    lg.removeHandler(lg.ch)
    lg.addHandler(to_stdout)
    lg.addHandler(to_stderr)
    lg.ch = to_stdout  # setLogLevel() adjusts lg.ch
