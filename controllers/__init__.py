"""kubemn's Ryu controller: the network between the nodes.

Pure modules (state, routing) turn the desired state into flows; fabric_app.py is
the thin Ryu glue that sends them and answers ARP and ping for the fabric gateway.
"""
