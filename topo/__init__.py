"""kubemn's cluster: manifests to model, model to Mininet nodes, pods and fabric."""
