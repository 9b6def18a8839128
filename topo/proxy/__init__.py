"""kubemn's kube-proxy: the fabric programmer, which tells the Ryu controller (and the
cluster DNS) the Services and their endpoints, a burst of changes in one push."""
