"""The Ryu controller as a process kubemn starts, feeds and stops.

It listens on loopback only: for OpenFlow, for the switches' closing channel
(controllers/closing_channel.py) and for the REST API that carries the desired state
(controllers/fabric_app.py).
"""
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import urllib.error
import urllib.request

from topo.errors import KubemnError, log_tail
from topo.runtime.processes import stop_processes, wait_until

APP = "controllers.fabric_app"
TOKEN_VARIABLE = "KUBEMN_CONTROLLER_TOKEN"   # as controllers/fabric_app.py reads them
CLOSING_PORT_VARIABLE = "KUBEMN_CLOSING_PORT"
LISTEN_HOST_VARIABLE = "KUBEMN_LISTEN_HOST"   # controllers/fabric_app.py
FLOW_LOG_SOCKET_VARIABLE = "KUBEMN_FLOW_LOG_SOCKET"
START_TIMEOUT = 10.0     # per attempt; a start is tried twice
SYNC_TIMEOUT = 20.0
STOP_SECONDS = 3.0
# Below Linux's ephemeral range (32768-60999): a port picked there and released until
# Ryu binds it could meanwhile become the local end of some outgoing connection.
PORT_RANGE = (20000, 32000)


def free_port(taken=()):
    """A loopback TCP port that nothing holds now, outside the ephemeral range."""
    while True:
        port = random.randint(*PORT_RANGE)
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


class ControllerSilent(KubemnError):
    """The controller process runs but its API does not answer."""


class ControllerProcess:
    def __init__(self, log_path, flow_log_socket, listen_host="127.0.0.1"):
        """flow_log_socket: where it sends what it rejected, for the flow log;
        listen_host: where the switches reach it (its REST API stays on loopback)."""
        self.log_path = log_path
        self.listen_host = listen_host
        self.flow_log_socket = flow_log_socket
        self.process = None
        self.token = secrets.token_urlsafe(32)   # its REST API's, for this run only
        self.pick_ports()

    def pick_ports(self):
        self.of_port = free_port()
        self.closing_port = free_port(taken=(self.of_port,))
        self.api_port = free_port(taken=(self.of_port, self.closing_port))

    def start(self, new_ports_allowed=True):
        """Starts Ryu and waits for its API. A controller that does not answer is
        stopped and started once more (on new ports if the switches do not know them
        yet), its log's last lines printed, before kubemn gives up."""
        try:
            return self._start_once()
        except ControllerSilent as silent:
            print("kubemn: %s; starting it again" % silent, file=sys.stderr, flush=True)
            if new_ports_allowed:
                self.pick_ports()
        try:
            return self._start_once()
        except ControllerSilent as silent:
            raise KubemnError("%s (log: %s)" % (silent, self.log_path)) from None

    def _start_once(self):
        argv = [sys.executable, "-m", "controllers.launcher",
                "--ofp-listen-host", self.listen_host, "--ofp-tcp-listen-port", str(self.of_port),
                "--wsapi-host", "127.0.0.1", "--wsapi-port", str(self.api_port), APP]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            env=dict(os.environ, **{
                                                TOKEN_VARIABLE: self.token,
                                                CLOSING_PORT_VARIABLE: str(self.closing_port),
                                                LISTEN_HOST_VARIABLE: self.listen_host,
                                                FLOW_LOG_SOCKET_VARIABLE: self.flow_log_socket}))
        if not wait_until(self._answers, START_TIMEOUT, pause=0.05, longest_pause=0.05):
            tail = self.last_log_line(3)
            self.stop()
            raise ControllerSilent(
                "the Ryu controller (API port %d) did not answer within %.0f s; "
                "its log ends: %s" % (self.api_port, START_TIMEOUT, tail))
        return self

    def _answers(self):
        if self.process.poll() is not None:
            raise KubemnError("the Ryu controller exited at start (exit %d): %s"
                              % (self.process.returncode, self.last_log_line()))
        try:
            self._request("GET", "/kubemn/status", timeout=1)
            return True
        except OSError:
            return False

    def last_log_line(self, count=1):
        lines = log_tail(self.log_path, count)
        if lines is None:
            return "(no log)"
        return " | ".join(lines) if lines else "(empty log)"

    def _request(self, method, path, body=None, timeout=5):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.api_port, path),
                                         data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
            raise KubemnError("the controller refused the state: %s" % detail) from None

    def status(self):
        return self._request("GET", "/kubemn/status")

    def push(self, state):
        return self._request("PUT", "/kubemn/state", state)

    def wait_synced(self, generation, dpids, timeout=SYNC_TIMEOUT):
        """Waits until every switch has converged to this generation of the state."""
        behind = list(dpids)

        def converged():
            status = self.status()
            if status.get("refusals"):
                raise KubemnError("a switch refused the controller's flows (a kubemn bug): "
                                  "%s" % status["refusals"][-1])
            switches = status["switches"]
            behind[:] = [d for d in dpids if (switches.get(str(d)) or 0) < generation]
            return not behind
        if not wait_until(converged, timeout, longest_pause=0.02):
            raise KubemnError("switches %s did not converge within %.0f s: see %s"
                              % (", ".join("%#x" % d for d in behind), timeout, self.log_path))

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def restart(self):
        """A new controller process on the same ports, which the switches reconnect to."""
        self.stop()
        return self.start(new_ports_allowed=False)

    def stop(self):
        if self.process is not None:
            stop_processes([self.process], STOP_SECONDS)
