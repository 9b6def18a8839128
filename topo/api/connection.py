"""The server's end of an upgraded WebSocket connection, shared by exec, attach and
port-forward."""
import threading

from topo.api import websocket


class Connection:
    """The server's end of an upgraded connection: whole frames out, one writer at a
    time (a client gone is no error), and the client's binary messages in."""

    def __init__(self, handler):
        self.read, self.wfile = handler.rfile.read, handler.wfile
        self.lock = threading.Lock()

    def send(self, opcode, payload):
        with self.lock:
            try:
                self.wfile.write(websocket.frame(opcode, payload))
                self.wfile.flush()
            except (OSError, ValueError):
                pass

    def send_channel(self, channel, data):
        self.send(websocket.BINARY, bytes([channel]) + data)

    def close(self):
        self.send(websocket.CLOSE_FRAME, b"\x03\xe8")   # 1000: a normal close

    def binary_messages(self):
        """The client's data messages until it closes; pings are answered. Raises
        EOFError, OSError or WebSocketError if the connection breaks. A text message
        counts as its bytes, as the API server reads it (the Python client sends stdin
        as text)."""
        while True:
            try:
                opcode, payload = websocket.read_message(self.read)
            except ValueError:   # the server has closed the connection: the session ended
                return
            if opcode == websocket.CLOSE_FRAME:
                return
            if opcode == websocket.PING:
                self.send(websocket.PONG, payload)
            elif opcode in (websocket.BINARY, websocket.TEXT):
                yield payload
