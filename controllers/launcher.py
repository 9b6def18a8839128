"""Starts ryu-manager with kubemn's app on Python 3.11.

Ryu 4.34 imports eventlet.wsgi.ALREADY_HANDLED, which the eventlet that runs on
Python 3.11 (0.33.3) no longer defines; defining it before Ryu is imported is all
Ryu needs. Arguments are ryu-manager's own, e.g.
  python -m controllers.launcher --ofp-listen-host 127.0.0.1 \
      --wsapi-host 127.0.0.1 --wsapi-port 8181 controllers.fabric_app
"""
import sys

import eventlet.wsgi

if not hasattr(eventlet.wsgi, "ALREADY_HANDLED"):
    eventlet.wsgi.ALREADY_HANDLED = object()

from ryu.cmd.manager import main  # noqa: E402  (must follow the shim)

if __name__ == "__main__":
    sys.exit(main())
