"""agnhost pause and the pause image: sleeps until a signal ends it, printing what
agnhost prints."""
import signal
import sys


def main(argv=None):
    sys.stdout.write("Paused\n")
    sys.stdout.flush()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
