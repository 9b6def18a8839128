"""kubemn's controller manager: controllers that watch the API's store and write back
through the API, each a small level-triggered loop (loop.py) that works from what is
stored now. Unit-tested against an in-memory store, without root or Mininet."""
