"""Flow and group specs (controllers/flows.py) -> Ryu OpenFlow 1.3 messages."""
import ipaddress

from ryu.ofproto import ofproto_v1_3_parser

from controllers.flows import cookie_of

ALL_COOKIE_BITS = 2 ** 64 - 1
# Open vSwitch's extension to OpenFlow 1.1+: add the group, or modify it if it exists.
OFPGC_ADD_OR_MOD = 0x8000
CT_COMMIT = 1
# Open vSwitch's NX_NAT_F_SRC and NX_NAT_F_DST (Ryu 4.34 does not name them).
NAT_FLAGS = {"src": 1 << 0, "dst": 1 << 1}
COPIED_BYTES = 128


class AlignedNAT(ofproto_v1_3_parser.NXActionNAT):
    """Ryu 4.34 rounds the NAT action's length up to 8 bytes but writes no padding,
    so whatever follows it inside ct() (or a group bucket) lands misaligned and Open
    vSwitch refuses the message (BAD_LEN). This writes the padding."""

    def serialize_body(self):
        data = super().serialize_body()
        header = 10  # experimenter action header and subtype, before the body
        return data + bytes(-(header + len(data)) % 8)


def _match_value(field, value):
    if field.startswith("ipv4_") and isinstance(value, str) and "/" in value:
        net = ipaddress.IPv4Network(value)
        return (str(net.network_address), str(net.netmask))
    return value


def match_of(parser, pairs):
    return parser.OFPMatch(**{k: _match_value(k, v) for k, v in pairs})


def _ct(parser, ct):
    actions = []
    if ct.nat is not None:
        kind = ct.nat[0]
        if kind == "plain":
            actions.append(AlignedNAT(flags=0))
        elif len(ct.nat) == 1:
            actions.append(AlignedNAT(flags=NAT_FLAGS[kind]))
        else:
            # Only the minimum of the range: Open vSwitch takes max = min.
            actions.append(AlignedNAT(
                flags=NAT_FLAGS[kind], range_ipv4_min=ct.nat[1],
                range_proto_min=ct.nat[2] if len(ct.nat) > 2 else None))
    if ct.mark is not None:
        actions.append(parser.OFPActionSetField(ct_mark=ct.mark[0]))
    return parser.NXActionCT(flags=CT_COMMIT if ct.commit else 0, zone_src="",
                             zone_ofs_nbits=ct.zone,
                             recirc_table=0xFF if ct.table is None else ct.table,
                             alg=0, actions=actions)


def _learn(parser, learn):
    port_field = {6: "tcp_dst", 17: "udp_dst"}[learn.ip_proto]
    specs = [
        parser.NXFlowSpecMatch(src=0x0800, dst=("eth_type_nxm", 0), n_bits=16),
        parser.NXFlowSpecMatch(src=learn.ip_proto, dst=("ip_proto_nxm", 0), n_bits=8),
        parser.NXFlowSpecMatch(src=("ipv4_src_nxm", 0), dst=("ipv4_src_nxm", 0), n_bits=32),
        parser.NXFlowSpecMatch(src=("ipv4_dst_nxm", 0), dst=("ipv4_dst_nxm", 0), n_bits=32),
        parser.NXFlowSpecMatch(src=(port_field + "_nxm", 0), dst=(port_field + "_nxm", 0),
                               n_bits=16),
        parser.NXFlowSpecLoad(src=("reg0", 0), dst=("reg0", 0), n_bits=32),
        parser.NXFlowSpecLoad(src=("reg1", 0), dst=("reg1", 0), n_bits=32),
    ]
    return parser.NXActionLearn(table_id=learn.table, specs=specs, priority=learn.priority,
                                hard_timeout=learn.hard_timeout, cookie=learn.cookie)


def action_of(parser, ofp, action):
    kind = action[0]
    if kind == "output":
        port = {"CONTROLLER": ofp.OFPP_CONTROLLER, "IN_PORT": ofp.OFPP_IN_PORT}.get(
            action[1], action[1])
        return parser.OFPActionOutput(port, ofp.OFPCML_NO_BUFFER)
    if kind == "controller":
        # The packet's headers are all the closing channel reads.
        return parser.NXActionController(max_len=COPIED_BYTES, controller_id=action[1],
                                         reason=ofp.OFPR_ACTION)
    if kind == "dec_ttl":
        return parser.OFPActionDecNwTtl()
    if kind == "set_field":
        return parser.OFPActionSetField(**{action[1]: action[2]})
    if kind == "group":
        return parser.OFPActionGroup(action[1])
    if kind == "resubmit":
        return parser.NXActionResubmitTable(table_id=action[1])
    if kind == "ct":
        return _ct(parser, action[1])
    if kind == "learn":
        return _learn(parser, action[1])
    raise ValueError("unknown action %r" % (action,))


def instructions_of(parser, ofp, actions):
    gotos = [a for a in actions if a[0] == "goto"]
    applied = [action_of(parser, ofp, a) for a in actions if a[0] != "goto"]
    instructions = []
    if applied:
        instructions.append(parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, applied))
    for goto in gotos:
        instructions.append(parser.OFPInstructionGotoTable(goto[1]))
    return instructions


def flow_add(datapath, f):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPFlowMod(datapath, cookie=cookie_of(f), table_id=f.table,
                             command=ofp.OFPFC_ADD, priority=f.priority,
                             buffer_id=ofp.OFP_NO_BUFFER, match=match_of(parser, f.match),
                             instructions=instructions_of(parser, ofp, f.actions))


def flow_delete_by_cookie(datapath, cookie):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPFlowMod(datapath, cookie=cookie, cookie_mask=ALL_COOKIE_BITS,
                             table_id=ofp.OFPTT_ALL, command=ofp.OFPFC_DELETE,
                             out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
                             match=parser.OFPMatch())


def group_add_or_modify(datapath, group):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    buckets = [parser.OFPBucket(weight=1, watch_port=ofp.OFPP_ANY, watch_group=ofp.OFPG_ANY,
                                actions=[action_of(parser, ofp, a) for a in bucket])
               for bucket in group.buckets]
    return parser.OFPGroupMod(datapath, command=OFPGC_ADD_OR_MOD, type_=ofp.OFPGT_SELECT,
                              group_id=group.group_id, buckets=buckets)


def group_delete(datapath, group_id):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPGroupMod(datapath, command=ofp.OFPGC_DELETE, group_id=group_id)


def flow_stats_request(datapath):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPFlowStatsRequest(datapath, 0, ofp.OFPTT_ALL, ofp.OFPP_ANY,
                                      ofp.OFPG_ANY, 0, 0, parser.OFPMatch())


def group_desc_request(datapath):
    return datapath.ofproto_parser.OFPGroupDescStatsRequest(datapath, 0)


def packet_out(datapath, out_port, data):
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPPacketOut(datapath, buffer_id=ofp.OFP_NO_BUFFER,
                               in_port=ofp.OFPP_CONTROLLER,
                               actions=[parser.OFPActionOutput(out_port)], data=data)
