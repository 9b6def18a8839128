"""The cluster's names of its addresses as the flow log reads them: read again at
most every STALE_SECONDS (a burst of connections is named once), and sooner when an
address is missing (a Service or pod made a moment ago), at most every MISS_SECONDS."""
import time

STALE_SECONDS = 0.1
MISS_SECONDS = 0.02


class AddressNames:
    def __init__(self, read, clock=time.monotonic):
        """read(): the {address: name} of now (flow_log.names_of)."""
        self.read, self.clock = read, clock
        self.names, self.read_at = {}, None

    def _read_if(self, older_than):
        now = self.clock()
        if self.read_at is None or now - self.read_at >= older_than:
            self.names, self.read_at = self.read(), now
            return True
        return False

    def get(self, key, default=None):
        self._read_if(STALE_SECONDS)
        if key not in self.names:
            self._read_if(MISS_SECONDS)
        return self.names.get(key, default)

    def __contains__(self, key):
        return self.get(key) is not None

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value
