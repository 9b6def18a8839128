"""The closing channel: each switch's second OpenFlow connection, on which the
switch sends copies of closing Service connections and the controller answers with
the flushes (controllers/closing.py says why, and holds the logic). Runs inside the
Ryu process, on 127.0.0.1 only (the head's LAN address when switches run on other
servers), beside Ryu's own OpenFlow listener."""
import logging
import time

from ryu.lib import hub

from controllers import closing
from controllers.tables import ZONE_OF_CLOSING_TABLE

FLUSH_PERIOD = 0.1   # seconds between looks at the connections due to be flushed
LOG = logging.getLogger("kubemn.closing")


class ClosingChannel:
    def __init__(self, port, host="127.0.0.1"):
        self.port, self.host = port, host
        self.pending = closing.Closing()

    def start(self):
        """Listens for the switches, and flushes what is due; returns the threads."""
        server = hub.StreamServer((self.host, self.port), self.serve)
        return [hub.spawn(server.serve_forever), hub.spawn(self.flush_due)]

    def serve(self, sock, address):
        sock.sendall(closing.hello() + closing.set_controller_id())
        buffer = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                found, buffer = closing.messages(buffer + chunk)
                for kind, _, message in found:
                    self.handle(sock, kind, message)
        except (OSError, ValueError) as exc:
            LOG.warning("closing channel from %s: %s", address, exc)
        finally:
            sock.close()

    def handle(self, sock, kind, message):
        if kind == closing.OFPT_ECHO_REQUEST:
            sock.sendall(closing.echo_reply(message))
        elif kind == closing.OFPT_PACKET_IN:
            table_id, data = closing.packet_in(message)
            self.pending.closed(ZONE_OF_CLOSING_TABLE.get(table_id),
                                closing.original_of_reply(data), sock, time.monotonic())

    def flush_due(self):
        while True:
            hub.sleep(FLUSH_PERIOD)
            for sock, zone, original in self.pending.due(time.monotonic()):
                try:
                    sock.sendall(closing.ct_flush(zone, original))
                except OSError:
                    pass   # the switch went away; it reconnects, its entries expire
