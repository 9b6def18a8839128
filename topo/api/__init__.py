"""kubemn's Kubernetes API: the real kubectl and client libraries drive the cluster.

Pure parts (resources, selectors, render, tables, patch, status, openapi) are data
in, data out; store.py keeps objects with resourceVersions and watches; server.py
is the HTTP side, bound to 127.0.0.1 and guarded by the run's bearer token.
"""
