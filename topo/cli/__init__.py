"""The kubemn CLI: the Mininet CLI with pods as targets, and the real kubectl."""
