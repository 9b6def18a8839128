"""The inspection tools: trace (a packet hop by hop), draw (the cluster as a
picture), flows (a Service's OpenFlow rules)."""
