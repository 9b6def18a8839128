"""kubemn's guided labs, and the checks that keep them true."""
