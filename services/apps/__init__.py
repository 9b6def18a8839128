"""Apps that kubemn runs in pods for images it cannot pull."""
