"""The kubelet: pods (pause process, veth, containers), their probes, readiness,
restarts, and what each image runs."""
