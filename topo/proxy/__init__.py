"""kubemn's kube-proxy: the fabric programmer, which tells the Ryu controller the
Services and their endpoints, a burst of changes in one push."""
