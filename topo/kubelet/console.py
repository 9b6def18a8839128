"""A container's console: the terminal (tty: true) or standard input (stdin: true)
its process runs with, for kubectl attach and `kubectl run -it`. What the process
writes on its terminal goes to its log, as the container runtime keeps it, and to
whoever is attached."""
import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading


class Console:
    def __init__(self, tty):
        self.tty = tty
        self.primary = self.secondary = None
        self.sinks = []          # callables given each chunk of output, then b"" at the end
        self.lock = threading.Lock()
        self.process = None

    def streams(self, log):
        """The Popen keyword arguments of the container's standard streams."""
        if self.tty:
            self.primary, self.secondary = pty.openpty()
            return {"stdin": self.secondary, "stdout": self.secondary,
                    "stderr": self.secondary}
        return {"stdin": subprocess.PIPE, "stdout": log, "stderr": subprocess.STDOUT}

    def started(self, process, log_path=None):
        """The process runs: on a terminal, its output is copied to the log (if any)
        and the attached, until it ends."""
        self.process = process
        if self.tty:
            os.close(self.secondary)
            threading.Thread(target=self._copy_output, args=(log_path,), daemon=True,
                             name="kubemn-console").start()

    def _copy_output(self, log_path):
        log = open(log_path, "ab") if log_path else None
        try:
            while True:
                try:
                    data = os.read(self.primary, 65536)
                except OSError:   # the terminal's last process ended
                    data = b""
                if not data:
                    break
                if log is not None:
                    log.write(data)
                    log.flush()
                for sink in list(self.sinks):
                    sink(data)
        finally:
            if log is not None:
                log.close()
        os.close(self.primary)
        for sink in list(self.sinks):
            sink(b"")

    def attach(self, sink):
        with self.lock:
            self.sinks.append(sink)
        return lambda: self.sinks.remove(sink) if sink in self.sinks else None

    def write(self, data):
        try:
            if self.tty:
                os.write(self.primary, data)
            elif self.process.stdin is not None:
                self.process.stdin.write(data)
                self.process.stdin.flush()
        except (OSError, ValueError):
            pass

    def resize(self, width, height):
        if self.tty:
            fcntl.ioctl(self.primary, termios.TIOCSWINSZ, struct.pack("HHHH", height, width,
                                                                      0, 0))

    def close_input(self):
        if self.tty:
            self.write(b"\x04")   # Ctrl-D: the end of input on a terminal
        elif self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
