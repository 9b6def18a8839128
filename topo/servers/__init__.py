"""kubemn over several servers: the servers a cluster's nodes and switches run on,
reached by ssh (simulated.py makes servers on this machine for tests)."""
