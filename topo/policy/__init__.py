"""NetworkPolicy (networking.k8s.io/v1): validated as the API server validates it
(spec.py), compiled into each node's nftables rules (compile.py), evaluated for one
connection by the same rules (verdict.py), and enforced in the nodes (enforcer.py)."""
