"""A daemon thread that runs an object's loop until it is stopped: the stopping flag
and the condition its waits and its users' waits share."""
import threading

JOIN_SECONDS = 5


class LoopThread:
    thread_name = "kubemn-loop"

    def __init__(self):
        self.changed = threading.Condition()
        self.stopping = False
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Asks the loop to end, wakes its waits, and waits for it a moment."""
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        if self.thread is not None:
            self.thread.join(JOIN_SECONDS)

    def _run(self):
        raise NotImplementedError
