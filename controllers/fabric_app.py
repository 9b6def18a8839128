"""The Ryu app: thin glue between OpenFlow events, the REST API and the pure logic.

kubemn PUTs the desired state to /kubemn/state (loopback only); the app converges
every connected switch to the flows and groups computed from it. When a switch
connects it reads back what the switch holds (group ids, flow cookies), so a
restarted controller heals the tables without flushing them: established
connections are never touched. After that it keeps track of what it sent, and each
new state costs one round of messages and a barrier.
GET /kubemn/status tells which generation each switch has converged to.
Both demand the bearer token kubemn made for the run (KUBEMN_CONTROLLER_TOKEN in
the controller's environment): another local user gets 401 and changes nothing.
"""
import functools
import hmac
import json
import os
import time

from ryu.app.wsgi import ControllerBase, Response, WSGIApplication, route
from ryu.base import app_manager
from ryu.controller import ofp_event
from ryu.controller.handler import (CONFIG_DISPATCHER, DEAD_DISPATCHER, MAIN_DISPATCHER,
                                    set_ev_cls)
from ryu.ofproto import ofproto_v1_3

from controllers import openflow
from controllers.closing_channel import ClosingChannel
from controllers.flows import cookie_of
from controllers.observations import Observations, from_the_internet
from controllers.pipeline import switch_configs
from controllers.reconcile import plan_changes
from controllers.replies import reply_to
from controllers.tables import SERVICE
from controllers.state import EMPTY, InvalidState, parse_state

APP_KEY = "kubemn_fabric_app"
# The OpenFlow message of each kind of change (controllers/reconcile.py).
MESSAGES = {"group_add": openflow.group_add_or_modify, "flow_add": openflow.flow_add,
            "group_modify": openflow.group_add_or_modify,
            "flow_delete": openflow.flow_delete_by_cookie,
            "group_delete": openflow.group_delete}
TOKEN_VARIABLE = "KUBEMN_CONTROLLER_TOKEN"
CLOSING_PORT_VARIABLE = "KUBEMN_CLOSING_PORT"
# Where the switches reach both: 127.0.0.1, or the head's LAN address over servers.
LISTEN_HOST_VARIABLE = "KUBEMN_LISTEN_HOST"


def authorized(header, token):
    """The request carries the run's token; without a token set, nobody is."""
    if not token:
        return False
    return hmac.compare_digest((header or "").encode(), ("Bearer " + token).encode())


def needs_token(handler):
    @functools.wraps(handler)
    def guarded(self, req, **kwargs):
        if not authorized(req.headers.get("Authorization"), os.environ.get(TOKEN_VARIABLE)):
            return _json({"error": "Unauthorized"}, 401)
        return handler(self, req, **kwargs)
    return guarded


class Cycle:
    """One read-back of a switch: the groups and flow cookies it reported."""

    def __init__(self):
        self.group_ids = []
        self.cookies = []


class FabricApp(app_manager.RyuApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]
    _CONTEXTS = {"wsgi": WSGIApplication}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = EMPTY
        self.desired = {}        # dpid -> SwitchConfig
        self.datapaths = {}      # dpid -> Datapath
        self.sent_groups = {}    # dpid -> {group id: Group} as last sent
        self.known = {}          # dpid -> (group ids, cookies) the switch holds
        self.synced = {}         # dpid -> generation the switch has converged to
        self.cycles = {}         # dpid -> Cycle in flight
        self.barriers = {}       # (dpid, xid) -> generation
        self.refusals = []       # what switches refused, for kubemn to report
        self.observations = Observations()
        kwargs["wsgi"].register(StateApi, {APP_KEY: self})
        if os.environ.get(CLOSING_PORT_VARIABLE):
            channel = ClosingChannel(int(os.environ[CLOSING_PORT_VARIABLE]),
                                     os.environ.get(LISTEN_HOST_VARIABLE, "127.0.0.1"))
            self.threads.extend(channel.start())

    # --- desired state -----------------------------------------------------
    def set_state(self, state):
        self.state = state
        self.desired = switch_configs(state)
        for datapath in self.datapaths.values():
            if datapath.id in self.known and datapath.id not in self.cycles:
                self.converge(datapath, *self.known[datapath.id])
            else:
                self.start_reconcile(datapath)

    def status(self):
        return {"generation": self.state.generation,
                "switches": {str(d): self.synced.get(d) for d in self.datapaths},
                "refusals": self.refusals}

    # --- OpenFlow events ---------------------------------------------------
    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def on_switch_features(self, ev):
        datapath = ev.msg.datapath
        self.logger.info("switch %#x connected", datapath.id)
        self.datapaths[datapath.id] = datapath
        self.sent_groups[datapath.id] = {}
        self.known.pop(datapath.id, None)
        self.synced.pop(datapath.id, None)
        self.cycles.pop(datapath.id, None)
        self.start_reconcile(datapath)

    @set_ev_cls(ofp_event.EventOFPStateChange, DEAD_DISPATCHER)
    def on_switch_gone(self, ev):
        dpid = ev.datapath.id
        if dpid is not None and self.datapaths.get(dpid) is ev.datapath:
            self.logger.info("switch %#x disconnected", dpid)
            for table in (self.datapaths, self.synced, self.cycles, self.sent_groups,
                          self.known):
                table.pop(dpid, None)

    @set_ev_cls(ofp_event.EventOFPErrorMsg, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def on_error(self, ev):
        msg = ev.msg
        refusal = "switch %#x refused a message: type=%d code=%d data=%s" % (
            msg.datapath.id, msg.type, msg.code, bytes(msg.data[:64]).hex())
        self.logger.error(refusal)
        self.refusals = (self.refusals + [refusal])[-10:]

    def start_reconcile(self, datapath):
        """Reads back the switch's groups, then its flows (the two replies below),
        then converges it to the state desired by then."""
        if datapath.id in self.cycles:
            return
        self.cycles[datapath.id] = Cycle()
        datapath.send_msg(openflow.group_desc_request(datapath))

    @set_ev_cls(ofp_event.EventOFPGroupDescStatsReply, MAIN_DISPATCHER)
    def on_group_desc(self, ev):
        datapath = ev.msg.datapath
        cycle = self.cycles.get(datapath.id)
        if cycle is None:
            return
        cycle.group_ids.extend(g.group_id for g in ev.msg.body)
        if not ev.msg.flags & datapath.ofproto.OFPMPF_REPLY_MORE:
            datapath.send_msg(openflow.flow_stats_request(datapath))

    @set_ev_cls(ofp_event.EventOFPFlowStatsReply, MAIN_DISPATCHER)
    def on_flow_stats(self, ev):
        datapath = ev.msg.datapath
        cycle = self.cycles.get(datapath.id)
        if cycle is None:
            return
        cycle.cookies.extend(stat.cookie for stat in ev.msg.body)
        if ev.msg.flags & datapath.ofproto.OFPMPF_REPLY_MORE:
            return
        del self.cycles[datapath.id]
        self.converge(datapath, cycle.group_ids, cycle.cookies)

    def converge(self, datapath, group_ids, cookies):
        """Sends what turns the switch, holding group_ids and cookies, into the desired
        configuration, then a barrier whose reply marks the generation as reached."""
        config = self.desired.get(datapath.id)
        changes = plan_changes(config, group_ids, cookies, self.sent_groups[datapath.id])
        for kind, item in changes.messages():
            datapath.send_msg(MESSAGES[kind](datapath, item))
        self.sent_groups[datapath.id] = dict(config.groups) if config else {}
        self.known[datapath.id] = (set(config.groups) if config else set(),
                                   {cookie_of(f) for f in config.flows} if config else set())
        barrier = datapath.ofproto_parser.OFPBarrierRequest(datapath)
        datapath.set_xid(barrier)
        self.barriers[(datapath.id, barrier.xid)] = self.state.generation
        datapath.send_msg(barrier)
        if not changes.empty():
            self.logger.info("switch %#x, generation %d: %s", datapath.id,
                             self.state.generation, changes.summary())

    @set_ev_cls(ofp_event.EventOFPBarrierReply, MAIN_DISPATCHER)
    def on_barrier(self, ev):
        key = (ev.msg.datapath.id, ev.msg.xid)
        if key in self.barriers:
            self.synced[key[0]] = self.barriers.pop(key)

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def on_packet_in(self, ev):
        msg = ev.msg
        try:
            reply = reply_to(self.state, msg.data, msg.table_id)
        except Exception:  # a malformed packet must never take the controller down
            self.logger.exception("switch %#x: cannot parse a packet-in", msg.datapath.id)
            return
        if reply is not None:
            msg.datapath.send_msg(openflow.packet_out(msg.datapath, msg.match["in_port"],
                                                      reply))
            if msg.table_id == SERVICE:
                self.observations.tell("REJECTED", msg.datapath.id, msg.data)
        elif from_the_internet(self.state, msg.datapath.id, msg.match["in_port"],
                               msg.table_id, msg.data):
            self.observations.tell("DROPPED", msg.datapath.id, msg.data)


class StateApi(ControllerBase):
    def __init__(self, req, link, data, **config):
        super().__init__(req, link, data, **config)
        self.app = data[APP_KEY]

    @route("kubemn", "/kubemn/state", methods=["PUT"])
    @needs_token
    def put_state(self, req, **_kwargs):
        started = time.monotonic()
        try:
            state = parse_state(json.loads(req.body or b"null"))
        except (ValueError, InvalidState) as exc:
            return _json({"error": str(exc).splitlines()[0] if str(exc) else
                          "the state is not valid JSON"}, 400)
        except RecursionError:   # a body nested deeper than any state could be
            return _json({"error": "the state is nested too deeply to be a kubemn state"},
                         400)
        parsed = time.monotonic()
        self.app.set_state(state)
        self.app.logger.info("generation %d: parsed in %.0f ms, sent in %.0f ms",
                             state.generation, (parsed - started) * 1000,
                             (time.monotonic() - parsed) * 1000)
        return _json(self.app.status(), 200)

    @route("kubemn", "/kubemn/status", methods=["GET"])
    @needs_token
    def get_status(self, _req, **_kwargs):
        return _json(self.app.status(), 200)


def _json(body, status):
    return Response(status=status, content_type="application/json",
                    body=json.dumps(body).encode())
