"""Flow specs (controllers/routing.py) -> Ryu OpenFlow 1.3 messages."""
import ipaddress

from controllers.routing import CONTROLLER, cookie_of

ALL_COOKIE_BITS = 2 ** 64 - 1


def _match_value(field, value):
    if field.startswith("ipv4_") and isinstance(value, str) and "/" in value:
        net = ipaddress.IPv4Network(value)
        return (str(net.network_address), str(net.netmask))
    return value


def _action(parser, ofp, action):
    kind = action[0]
    if kind == "output":
        if action[1] == CONTROLLER:
            return parser.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)
        return parser.OFPActionOutput(action[1])
    if kind == "dec_ttl":
        return parser.OFPActionDecNwTtl()
    if kind == "set_field":
        return parser.OFPActionSetField(**{action[1]: action[2]})
    raise ValueError("unknown action %r" % (action,))


def flow_add(datapath, f):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    match = parser.OFPMatch(**{k: _match_value(k, v) for k, v in f.match})
    instructions = [parser.OFPInstructionActions(
        ofp.OFPIT_APPLY_ACTIONS, [_action(parser, ofp, a) for a in f.actions])]
    return parser.OFPFlowMod(datapath, cookie=cookie_of(f), table_id=f.table,
                             command=ofp.OFPFC_ADD, priority=f.priority,
                             buffer_id=ofp.OFP_NO_BUFFER, match=match,
                             instructions=instructions)


def flow_delete_by_cookie(datapath, cookie):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPFlowMod(datapath, cookie=cookie, cookie_mask=ALL_COOKIE_BITS,
                             table_id=ofp.OFPTT_ALL, command=ofp.OFPFC_DELETE,
                             out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
                             match=parser.OFPMatch())


def flow_stats_request(datapath):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPFlowStatsRequest(datapath, 0, ofp.OFPTT_ALL, ofp.OFPP_ANY,
                                      ofp.OFPG_ANY, 0, 0, parser.OFPMatch())


def packet_out(datapath, in_port, out_port, data):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPPacketOut(datapath, buffer_id=ofp.OFP_NO_BUFFER,
                               in_port=ofp.OFPP_CONTROLLER,
                               actions=[parser.OFPActionOutput(out_port)], data=data)
