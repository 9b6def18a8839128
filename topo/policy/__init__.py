"""NetworkPolicy (networking.k8s.io/v1): checked as the API server checks it
(spec.py), resolved into what each pod may send and receive (clauses.py), compiled
into each node's nftables table (nft.py) from the cluster the API shows (view.py,
which also judges one connection for `trace`), and loaded into the nodes
(enforcer.py)."""
