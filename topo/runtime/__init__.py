"""The machine side: Mininet nodes, the Open vSwitch fabric, the Ryu controller
process, conntrack, captures, the run lock and cleanup of what kubemn made."""
