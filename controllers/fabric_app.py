"""The Ryu app: thin glue between OpenFlow events, the REST API and the pure logic.

kubemn PUTs the desired state to /kubemn/state (loopback only); the app converges
every connected switch to the flows computed from it, reading back what each switch
holds first, so a restarted controller heals the tables without flushing them.
GET /kubemn/status tells which generation each switch has converged to.
"""
import json

from ryu.app.wsgi import ControllerBase, Response, WSGIApplication, route
from ryu.base import app_manager
from ryu.controller import ofp_event
from ryu.controller.handler import (CONFIG_DISPATCHER, DEAD_DISPATCHER, MAIN_DISPATCHER,
                                    set_ev_cls)
from ryu.ofproto import ofproto_v1_3

from controllers import openflow
from controllers.replies import reply_to
from controllers.routing import fabric_flows, reconcile
from controllers.state import EMPTY, InvalidState, parse_state

APP_KEY = "kubemn_fabric_app"


class FabricApp(app_manager.RyuApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]
    _CONTEXTS = {"wsgi": WSGIApplication}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = EMPTY
        self.desired = {}        # dpid -> set of Flow
        self.datapaths = {}      # dpid -> Datapath
        self.synced = {}         # dpid -> generation the switch has converged to
        self.stats = {}          # dpid -> cookies collected from a multipart reply
        self.pending = {}        # (dpid, barrier xid) -> generation
        kwargs["wsgi"].register(StateApi, {APP_KEY: self})

    # --- desired state -----------------------------------------------------
    def set_state(self, state):
        self.state = state
        self.desired = fabric_flows(state)
        for datapath in self.datapaths.values():
            self.start_reconcile(datapath)

    # --- OpenFlow events ---------------------------------------------------
    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def on_switch_features(self, ev):
        datapath = ev.msg.datapath
        self.logger.info("switch %#x connected", datapath.id)
        self.datapaths[datapath.id] = datapath
        self.synced.pop(datapath.id, None)
        self.start_reconcile(datapath)

    @set_ev_cls(ofp_event.EventOFPStateChange, DEAD_DISPATCHER)
    def on_switch_gone(self, ev):
        dpid = ev.datapath.id
        if dpid is not None and self.datapaths.get(dpid) is ev.datapath:
            self.logger.info("switch %#x disconnected", dpid)
            del self.datapaths[dpid]
            self.synced.pop(dpid, None)

    @set_ev_cls(ofp_event.EventOFPErrorMsg, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def on_error(self, ev):
        msg = ev.msg
        self.logger.error("switch %#x refused a message: type=%d code=%d",
                          msg.datapath.id, msg.type, msg.code)

    def start_reconcile(self, datapath):
        """Read the switch's flows back; on_flow_stats finishes the job."""
        self.stats[datapath.id] = []
        datapath.send_msg(openflow.flow_stats_request(datapath))

    @set_ev_cls(ofp_event.EventOFPFlowStatsReply, MAIN_DISPATCHER)
    def on_flow_stats(self, ev):
        datapath = ev.msg.datapath
        cookies = self.stats.setdefault(datapath.id, [])
        cookies.extend(stat.cookie for stat in ev.msg.body)
        if ev.msg.flags & datapath.ofproto.OFPMPF_REPLY_MORE:
            return
        to_add, to_delete = reconcile(self.desired.get(datapath.id, set()), cookies)
        for cookie in to_delete:
            datapath.send_msg(openflow.flow_delete_by_cookie(datapath, cookie))
        for f in to_add:
            datapath.send_msg(openflow.flow_add(datapath, f))
        barrier = datapath.ofproto_parser.OFPBarrierRequest(datapath)
        datapath.set_xid(barrier)
        self.pending[(datapath.id, barrier.xid)] = self.state.generation
        datapath.send_msg(barrier)
        if to_add or to_delete:
            self.logger.info("switch %#x: %d flows added, %d removed (generation %d)",
                             datapath.id, len(to_add), len(to_delete), self.state.generation)

    @set_ev_cls(ofp_event.EventOFPBarrierReply, MAIN_DISPATCHER)
    def on_barrier(self, ev):
        key = (ev.msg.datapath.id, ev.msg.xid)
        if key in self.pending:
            self.synced[key[0]] = self.pending.pop(key)

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def on_packet_in(self, ev):
        msg = ev.msg
        try:
            reply = reply_to(self.state, msg.data)
        except Exception:  # a malformed packet must never take the controller down
            self.logger.exception("switch %#x: cannot parse a packet-in", msg.datapath.id)
            return
        if reply is not None:
            in_port = msg.match["in_port"]
            msg.datapath.send_msg(openflow.packet_out(msg.datapath, in_port, in_port, reply))

    def status(self):
        return {"generation": self.state.generation,
                "switches": {str(d): self.synced.get(d) for d in self.datapaths}}


class StateApi(ControllerBase):
    def __init__(self, req, link, data, **config):
        super().__init__(req, link, data, **config)
        self.app = data[APP_KEY]

    @route("kubemn", "/kubemn/state", methods=["PUT"])
    def put_state(self, req, **_kwargs):
        try:
            state = parse_state(json.loads(req.body or b"null"))
        except (ValueError, InvalidState) as exc:
            return _json({"error": str(exc)}, 400)
        self.app.set_state(state)
        return _json(self.app.status(), 200)

    @route("kubemn", "/kubemn/status", methods=["GET"])
    def get_status(self, _req, **_kwargs):
        return _json(self.app.status(), 200)


def _json(body, status):
    return Response(status=status, content_type="application/json",
                    body=json.dumps(body).encode())
