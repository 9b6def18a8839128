"""The cluster as data (pure): what the manifests ask for, the address plan, the fabric
plan, the scheduler, Deployments' rollout steps, the add-ons. Nothing here touches
the machine; unit tests check it without root."""
