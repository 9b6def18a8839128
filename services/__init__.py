"""The Service side of kubemn and the small apps that run in pods."""
