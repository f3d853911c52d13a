package validate

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hostnet/hostnet/bridge"
	"github.com/hostnet/hostnet/hostnet/bonding"
)

// Rule describes one static check. Every diagnostic Plan returns comes from a rule and
// carries its ID in Diagnostic.Extra (see RuleOf). Each rule has a plan that triggers it
// under testdata/invalid/<ID>.hcl and a near miss that does not under testdata/valid/<ID>.hcl.
type Rule struct {
	ID       string
	Severity hcl.DiagnosticSeverity
	Summary  string
}

const (
	errS  = hcl.DiagError
	warnS = hcl.DiagWarning
)

// Rules lists every rule, grouped as the checks run.
var Rules = []Rule{
	// Bond options (bonding.Table knows the modes of each option).
	{"option-mode", errS, "Option not valid for mode"},
	{"miimon-with-arp", errS, "MII and ARP monitoring together"},
	{"no-link-monitoring", errS, "Bond has no link monitoring"},
	{"delay-without-miimon", errS, "Delay needs miimon"},
	{"delay-not-multiple", errS, "Delay is not a multiple of miimon"},
	{"arp-interval-without-target", errS, "ARP monitoring without targets"},
	{"arp-targets-too-many", errS, "Too many ARP/NS targets"},
	{"arp-target-duplicate", errS, "Duplicate ARP/NS target"},
	{"arp-target-unusable", errS, "Unusable ARP/NS target"},
	{"arp-target-ipv6", errS, "IPv6 address in arp_ip_target"},
	{"ns-target-ipv4", errS, "IPv4 address in ns_ip6_target"},
	{"arp-option-without-interval", errS, "ARP option without arp_interval"},
	{"arp-all-targets-inert", errS, "arp_all_targets has no effect"},
	{"slave-not-in-bond", errS, "Not a slave of this bond"},
	{"ad-actor-system", errS, "Invalid ad_actor_system"},
	{"min-links-above-slaves", errS, "min_links above the number of slaves"},

	// A bond under a bridge, directly or through a VLAN (see Evidence).
	{"bridged-balance-rr", errS, "balance-rr under a bridge needs a static LAG"},
	{"bridged-balance-xor", errS, "balance-xor under a bridge needs a static LAG"},
	{"bridged-no-learning", warnS, "balance-rr/xor under a bridge relies on learning off on the bond port"},
	{"bridged-broadcast", errS, "broadcast mode under a bridge"},
	{"bridged-broadcast-lag", warnS, "broadcast mode under a bridge duplicates every frame"},
	{"bridged-lacp-without-partner", warnS, "802.3ad under a bridge without an LACP partner"},
	{"bridged-lacp-static-lag", errS, "802.3ad under a bridge against a static LAG"},
	{"bridged-tlb-alb", warnS, "balance-tlb/alb under a bridge"},
	{"bridged-all-slaves-active", errS, "all_slaves_active under a bridge"},
	{"bridged-fail-over-mac-active", errS, "fail_over_mac = active under a bridge"},
	{"bridged-stp-updelay", warnS, "updelay shorter than the STP forward delay"},
	{"bridge-stp-forward-delay", errS, "forward_delay out of range with STP"},
	{"switch-lacp-and-static-lag", errS, "Switch ports cannot be LACP and static LAG"},
	{"arp-target-no-path", errS, "No path to arp_ip_target through the bond"},
	{"arp-target-no-route", warnS, "No on-link route to arp_ip_target"},

	// Bridge forwarding database.
	{"fdb-port-not-bridge-port", errS, "FDB entry on an interface that is not a port of the bridge"},
	{"fdb-duplicate", errS, "Duplicate FDB entry"},
	{"fdb-vlan-filtering", errS, "FDB entry VLAN does not match vlan_filtering"},

	// VLAN-aware bridges (vlan_filtering with per-port VLANs).
	{"vlan-filtering-without-vids", errS, "VLAN-filtering bridge with no VLANs on its uplink"},
	{"vids-without-vlan-filtering", errS, "VLANs on a bridge without vlan_filtering"},
	{"vlan-on-bridge-without-filtering", warnS, "VLAN interface on a bridge without vlan_filtering"},
	{"portgroup-vlan-without-filtering", errS, "Guest VLAN on a bridge without vlan_filtering"},
	{"portgroup-vlan-not-on-uplink", warnS, "Guest VLAN not carried by the bridge's uplink"},

	// Structure.
	{"nic-in-two-bonds", errS, "NIC enslaved more than once"},
	{"slave-is-bridge-port", errS, "Bond slave is also a bridge port"},
	{"port-of-two-bridges", errS, "Interface is a port of two bridges"},
	{"bond-without-slaves", errS, "Bond without slaves"},
	{"duplicate-mac", errS, "Duplicate MAC address"},
	{"mac-not-unicast", errS, "MAC address is not unicast"},
	{"duplicate-name", errS, "Duplicate interface name"},
	{"invalid-name", errS, "Invalid interface name"},
	{"mark-too-long", errS, "Ownership mark longer than the kernel keeps"},
	{"reserved-name", errS, "Interface name reserved by the kernel"},
	{"vlan-id-range", errS, "VLAN id out of range"},
	{"vlan-duplicate-id", errS, "Duplicate VLAN id on one link"},
	{"vlan-ad-on-q", errS, "802.1ad VLAN stacked on an 802.1Q VLAN"},
	{"bypasses-bond", errS, "Traffic on a bond slave bypasses the bond"},
	{"mtu-above-lower", errS, "MTU above the lower device's MTU"},
	{"slave-mtu", warnS, "Slave MTU differs from the bond's"},
	{"duplicate-libvirt-network", errS, "Duplicate libvirt network name"},
	{"invalid-libvirt-name", errS, "Invalid libvirt network or portgroup name"},

	// Addresses and routes.
	{"duplicate-address", errS, "Address used twice"},
	{"address-on-port", errS, "Address on a bridge port or bond slave"},
	{"address-not-host", errS, "Address is not a host address"},
	{"gateway-outside-prefix", errS, "Gateway outside the interface's prefixes"},
	{"gateway-is-own-address", errS, "Gateway is the interface's own address"},
	{"multiple-default-gateways", errS, "More than one IPv4 default route"},
	{"route-via-unreachable", errS, "Route gateway not reachable"},
	{"route-host-bits", errS, "Route prefix has host bits set"},
	{"route-is-connected", errS, "Route duplicates a connected prefix"},
}

var ruleByID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(Rules)+len(LiveRules))
	for i := range Rules {
		m[Rules[i].ID] = &Rules[i]
	}
	for i := range LiveRules {
		m[LiveRules[i].ID] = &LiveRules[i]
	}
	return m
}()

// RuleID is the Diagnostic.Extra of every diagnostic Plan returns.
type RuleID string

// Rule returns the id (diag.Ruled: the JSON output's rule field).
func (r RuleID) Rule() string { return string(r) }

// RuleOf returns the ID of the rule that produced d, or "" (e.g. a decoder diagnostic).
func RuleOf(d *hcl.Diagnostic) string {
	if id, ok := d.Extra.(RuleID); ok {
		return string(id)
	}
	return ""
}

// EvidenceItem backs a bridge-over-bond rule: the kernel mechanism and how we know it.
type EvidenceItem struct {
	Kernel string // what the kernel (and the switch) do, with the source
	Proof  string // what was measured in the lab, or where it is documented
	// Measured is true when Proof is a measurement in hostnet's lab kernel. Lab tests that
	// re-prove a rule should update Proof and set Measured.
	Measured bool
}

// Evidence holds the explanations of the bridge-over-bond rules, by rule ID, in one place
// so that lab results can update them. The diagnostics quote Kernel and Proof.
var Evidence = map[string]EvidenceItem{
	"bridged-balance-rr": {
		Kernel:   "balance-rr sends consecutive frames of every guest MAC on every slave: a switch whose ports are not grouped sees each guest MAC flap between ports, and the broadcasts it floods back into the other slaves reach the bridge, which moves guest MACs onto the bond port (net/bridge/br_fdb.c br_fdb_update).",
		Proof:    "Measured in the lab on Linux 6.1 with a plain bridge as the switch (no LAG): guests behind the bridge got 0/20 pings both ways; the kernel logs 'br0: received packet on bond0 with own address as source address'. With a static LAG on the switch side balance-rr passed and a cut lost nothing.",
		Measured: true,
	},
	"bridged-balance-xor": {
		Kernel: "balance-xor spreads flows over every slave by hash and receives on every slave: without grouped switch ports the switch floods broadcasts back into the other slaves and the bridge moves guest MACs onto the bond port, as with balance-rr (Documentation/networking/bonding.rst §5, §12.1.1).",
		Proof:  "With a static LAG on the switch side balance-xor passed in the lab on Linux 6.1 and a cut lost nothing; the failure without a LAG is documented (bonding.rst), not yet measured in the lab, nor whether xmit_hash_policy = vlan+srcmac (one slave per guest MAC) avoids it.",
	},
	"bridged-no-learning": {
		Kernel: "With learning off on a bridge port (IFLA_BRPORT_LEARNING = 0) the bridge never adds or moves an FDB entry for a source MAC arriving on it (net/bridge/br_input.c br_handle_frame_finish, br_fdb_update only for ports with BR_LEARNING), so guest frames the switch floods back into the bond cannot move guest MACs onto it; MACs behind the bond are then never learned, and frames to them are flooded as unknown unicast.",
		Proof:  "Measured in the lab (see measuredCells).",
	},
	"arp-target-no-path": {
		Kernel:   "bond_arp_send_all (drivers/net/bonding/bond_main.c, ≈3.12+) looks each arp_ip_target up with ip_route_output(..., RTO_ONLINK): when the route's device is the bond it probes directly; when it is an upper of the bond (bridge, VLAN, stacks) bond_verify_device_path collects the VLAN tags and the source address comes from that upper; when it is another device it skips the target (debug \"no path to arp_ip_target\"); without a route it sends an untagged probe from 0.0.0.0. The ARP monitor takes slaves up only on replies.",
		Proof:    "Measured in hostnet's lab (Linux 6.1, hostnet/engine TestLabARPMonitorThroughBridge): an active-backup bond under br0 with arp_validate all and the gateway as target has carrier while the gateway is on-link through br0, loses it within a second once a route puts the gateway on-link through another NIC, and gets it back when that route goes.",
		Measured: true,
	},
	"bridged-broadcast": {
		Kernel: "In broadcast mode the bond transmits every frame on every slave: each guest frame reaches the switch once per slave, so ungrouped switch ports see the guest MAC on several ports (MAC flapping), the copies flooded back reach the bridge, which moves guest MACs onto the bond port, and receivers get duplicates.",
		Proof:  "Documented (bonding-rules §B; Red Hat and oVirt refuse it for bridged guests); not yet measured in the lab.",
	},
	"bridged-broadcast-lag": {
		Kernel: "In broadcast mode the bond transmits every frame on every slave; a static LAG keeps the switch from flapping, but the switch forwards every copy, so each receiver gets every guest frame once per slave.",
		Proof:  "Documented (bonding-rules §B); not yet measured in the lab.",
	},
	"bridged-lacp-without-partner": {
		Kernel: "An 802.3ad bond transmits and receives only on the slaves of the aggregator it agreed with an LACP partner (drivers/net/bonding/bond_3ad.c). Without LACP on the switch each slave forms its own aggregator and only one carries traffic: no load sharing, and with a static LAG the switch still spreads frames over every port while the bond drops those arriving on the other slaves.",
		Proof:  "Measured in the lab on Linux 6.1: with an LACP partner (an 802.3ad bond in the switch namespace) guests behind the bridge passed and a cut lost nothing; the case without a partner is not yet measured.",
	},
	"bridged-lacp-static-lag": {
		Kernel: "A static LAG makes the switch spread frames over every port of the group, but an 802.3ad bond without an LACP partner puts each slave in its own aggregator and uses one: frames arriving on the other slaves are dropped, so which guests are reachable depends on the switch's hash (bond_3ad.c).",
	},
	"bridged-tlb-alb": {
		Kernel:   "balance-tlb sends frames on non-active slaves with the source MAC rewritten to that slave's MAC, guest frames included (drivers/net/bonding/bond_alb.c bond_do_alb_xmit), and its learning packets cover only the bond MAC and VLANs directly above it; balance-alb adds ARP rewriting for receive balancing, which kernel fixes 567b871e (≈3.8), d5410ac7 (≈5.15) and b251610c (≈6.6) limit to the bond and its direct VLANs, so guests behind a bridge get no receive balancing at best. The behaviour depends on the kernel version; Red Hat supports modes 0, 5 and 6 only for non-bridged networks and oVirt refuses them for VM networks.",
		Proof:    "Measured in the lab on Linux 6.1 with a plain bridge as the switch: balance-tlb and balance-alb passed 20/20 pings, so on that kernel guests keep connectivity but get no receive balancing.",
		Measured: true,
	},
	"bridged-all-slaves-active": {
		Kernel: "all_slaves_active = 1 makes the bond deliver frames received on inactive slaves (drivers/net/bonding/bond_main.c); the switch floods broadcasts and unknown unicast into every slave, so the bridge gets each flooded frame once per slave: guests see duplicates, and a guest's own broadcast coming back on a backup slave makes the bridge move the guest MAC onto the bond port.",
		Proof:  "Documented (bonding-rules §C); not yet measured in the lab.",
	},
	"bridged-fail-over-mac-active": {
		Kernel: "fail_over_mac = active gives the bond the MAC of the new active slave at every failover; the bridge's own MAC follows its ports unless set explicitly (net/bridge br_stp_recalculate_bridge_id), and the bridge does not pass the bond's peer notification up, so neighbours keep the old MAC for the host's addresses on the bridge until their caches expire.",
		Proof:  "Documented (bonding-rules §B, §C); not yet measured in the lab.",
	},
	"bridged-stp-updelay": {
		Kernel: "With STP on, this bridge joins the switch's spanning tree, so the switch ports run STP too (not as edge ports): a switch port whose link comes up listens and learns for forward_delay each before it forwards. The bond uses a recovered slave after updelay; if that is shorter, frames sent on it are dropped by the switch until its port forwards (bonding.rst: updelay at least the switch's forwarding delay).",
		Proof:  "Documented (bonding-rules §C, delays); not yet measured in the lab.",
	},
}

// measuredCells names, per rule, the cells of the lab's bridge-over-bond evidence
// (bridge.Evidence, re-measured by go test -tags lab ./bridge) that back it. At start-up
// they replace the rule's Proof, so diagnostics quote what the lab last asserted.
var measuredCells = map[string][]struct {
	mode       bonding.Mode
	options    string
	mitigation string
	sw         bridge.Switch
}{
	"bridged-balance-rr": {
		{bonding.BalanceRR, "", "", bridge.LearningSwitch},
		{bonding.BalanceRR, "", "", bridge.StaticLAG},
	},
	"bridged-balance-xor": {
		{bonding.BalanceXOR, "", "", bridge.LearningSwitch},
		{bonding.BalanceXOR, "xmit_hash_policy=vlan+srcmac", "", bridge.LearningSwitch},
		{bonding.BalanceXOR, "", "", bridge.StaticLAG},
	},
	"bridged-broadcast":            {{bonding.Broadcast, "", "", bridge.LearningSwitch}},
	"bridged-broadcast-lag":        {{bonding.Broadcast, "", "", bridge.StaticLAG}},
	"bridged-lacp-without-partner": {{bonding.LACP, "", "", bridge.LearningSwitch}, {bonding.LACP, "", "", bridge.LACPPartner}},
	"bridged-lacp-static-lag":      {{bonding.LACP, "", "", bridge.LACPPartner}},
	"bridged-tlb-alb":              {{bonding.BalanceTLB, "", "", bridge.LearningSwitch}, {bonding.BalanceALB, "", "", bridge.LearningSwitch}},
	"bridged-all-slaves-active":    {{bonding.ActiveBackup, "all_slaves_active=1", "", bridge.LearningSwitch}},
	"bridged-no-learning": {
		{bonding.BalanceRR, "", bridge.MitigationNoLearning, bridge.LearningSwitch},
		{bonding.BalanceXOR, "", bridge.MitigationNoLearning, bridge.LearningSwitch},
	},
}

func init() {
	for id, cells := range measuredCells {
		var parts []string
		for _, c := range cells {
			v, ok := bridge.LookupMitigated(c.mode, c.options, c.mitigation, c.sw)
			if !ok {
				panic("validate: no lab evidence for " + id + " (" + c.mode.String() + ", " + c.sw.String() + ")")
			}
			parts = append(parts, v.Cell()+": "+v.Summary)
		}
		e := Evidence[id]
		e.Proof = "Measured in hostnet's lab (" + bridge.Kernel + "), guest behind the bridge pinging a host behind the switch: " + strings.Join(parts, " ")
		e.Measured = true
		Evidence[id] = e
	}
}
