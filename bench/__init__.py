"""kubemn's benchmark: `make bench` (quick) and `make bench FULL=1`."""
