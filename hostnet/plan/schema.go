package plan

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// Attributes every interface block accepts.
var ifaceAttrs = []hcl.AttributeSchema{
	{Name: "name"}, {Name: "mtu"}, {Name: "mac"}, {Name: "addresses"}, {Name: "gateway"},
}

func attrs(extra ...string) []hcl.AttributeSchema {
	out := append([]hcl.AttributeSchema{}, ifaceAttrs...)
	for _, n := range extra {
		out = append(out, hcl.AttributeSchema{Name: n})
	}
	return out
}

// schemas gives each object block's arguments. Required ones are checked by the decoder
// so that the error can say what the argument is for.
var schemas = map[string]*hcl.BodySchema{
	// nic, bond and route accept for_each in the schema only so that the decoder can say
	// why it is refused there, instead of a bare "unsupported argument".
	"nic": {Attributes: attrs("for_each")},
	"bond": {
		Attributes: append(attrs("for_each", "slaves"), bondOptionAttrs()...),
		Blocks:     []hcl.BlockHeaderSchema{{Type: "slave"}},
	},
	"vlan": {Attributes: attrs("for_each", "link", "id", "protocol")},
	"bridge": {
		Attributes: attrs("for_each", "ports", "stp", "forward_delay", "ageing_time", "vlan_filtering", "multicast_snooping", "arp_notify", "vids", "pvid", "untagged"),
		Blocks:     []hcl.BlockHeaderSchema{{Type: "port"}, {Type: "fdb"}},
	},
	"route":           {Attributes: []hcl.AttributeSchema{{Name: "for_each"}, {Name: "to"}, {Name: "via"}, {Name: "dev"}, {Name: "metric"}, {Name: "table"}}},
	"libvirt_network": {Attributes: append([]hcl.AttributeSchema{{Name: "for_each"}, {Name: "name"}, {Name: "bridge"}, {Name: "autostart"}, {Name: "mtu"}}, bandwidthAttrs...), Blocks: []hcl.BlockHeaderSchema{{Type: "portgroup"}}},
}

// bandwidthAttrs are libvirt's <bandwidth> rates, flat: inbound_average = 1000 (KiB/s).
var bandwidthAttrs = []hcl.AttributeSchema{
	{Name: "inbound_average"}, {Name: "inbound_peak"}, {Name: "inbound_burst"},
	{Name: "outbound_average"}, {Name: "outbound_peak"}, {Name: "outbound_burst"},
}

var nestedSchemas = map[string]*hcl.BodySchema{
	"slave":     {Attributes: []hcl.AttributeSchema{{Name: "nic", Required: true}, {Name: "queue_id"}, {Name: "prio"}}},
	"portgroup": {Attributes: append([]hcl.AttributeSchema{{Name: "name", Required: true}, {Name: "default"}, {Name: "vlan"}, {Name: "trunk"}}, bandwidthAttrs...)},
	// bridge port flags and static FDB entries (see plan.Bridge)
	"port": {Attributes: []hcl.AttributeSchema{{Name: "link", Required: true}, {Name: "learning"}, {Name: "unicast_flood"},
		{Name: "multicast_flood"}, {Name: "broadcast_flood"}, {Name: "vids"}, {Name: "pvid"}, {Name: "untagged"}}},
	"fdb": {Attributes: []hcl.AttributeSchema{{Name: "mac", Required: true}, {Name: "port", Required: true}, {Name: "vlan"}, {Name: "sticky"}}},
}

func bondOptionAttrs() []hcl.AttributeSchema {
	var out []hcl.AttributeSchema
	for _, n := range bonding.Names() {
		out = append(out, hcl.AttributeSchema{Name: n})
	}
	return out
}
