// Package bonding owns the table of Linux bonding options: their modprobe/sysfs names and
// value spellings, kernel defaults, the modes each applies to, what the kernel demands before
// changing them (bond down, no slaves) and their IFLA_BOND_* netlink attributes.
//
// Every later stage reads this one table: the plan decoder (names, spellings), validation
// (mode rules), the diff (which changes force the bond down) and the netlink encoder.
// Facts come from drivers/net/bonding/bond_options.c and bond_netlink.c.
package bonding

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Mode is a bonding mode by its kernel number (0..6).
type Mode uint8

// The seven bonding modes.
const (
	BalanceRR    Mode = 0
	ActiveBackup Mode = 1
	BalanceXOR   Mode = 2
	Broadcast    Mode = 3
	LACP         Mode = 4 // 802.3ad
	BalanceTLB   Mode = 5
	BalanceALB   Mode = 6
)

var modeNames = []string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", m)
}

// UsesARP reports whether the kernel allows ARP monitoring in this mode.
func (m Mode) UsesARP() bool { return m != LACP && m != BalanceTLB && m != BalanceALB }

// ModeSet is a set of modes, bit i for mode i.
type ModeSet uint8

// AllModes contains every mode.
const AllModes ModeSet = 0x7f

// Modes builds a set.
func Modes(ms ...Mode) ModeSet {
	var s ModeSet
	for _, m := range ms {
		s |= 1 << m
	}
	return s
}

// Has reports whether m is in s.
func (s ModeSet) Has(m Mode) bool { return s&(1<<m) != 0 }

func (s ModeSet) String() string {
	var names []string
	for m := BalanceRR; m <= BalanceALB; m++ {
		if s.Has(m) {
			names = append(names, m.String())
		}
	}
	return strings.Join(names, ", ")
}

// Kind is how an option's value is written and carried.
type Kind int

// Option kinds.
const (
	KindEnum     Kind = iota // a name from Enum or its number
	KindUint                 // a number in Min..Max
	KindBool                 // 0/1 (also true/false)
	KindIPv4List             // list of IPv4 addresses
	KindIPv6List             // list of IPv6 addresses
	KindMAC                  // a unicast MAC address
	KindIface                // a reference to one of the bond's slaves
)

// ID identifies an option.
type ID int

// The options, in the order bond_changelink applies them where it matters.
const (
	OptMode ID = iota
	OptActiveSlave
	OptMiimon
	OptUpdelay
	OptDowndelay
	OptPeerNotifDelay
	OptUseCarrier
	OptArpInterval
	OptArpIPTarget
	OptNSIP6Target
	OptArpValidate
	OptArpAllTargets
	OptPrimary
	OptPrimaryReselect
	OptFailOverMAC
	OptXmitHashPolicy
	OptResendIGMP
	OptNumPeerNotif
	OptAllSlavesActive
	OptMinLinks
	OptLPInterval
	OptPacketsPerSlave
	OptLACPRate
	OptLACPActive
	OptADSelect
	OptADActorSysPrio
	OptADUserPortKey
	OptADActorSystem
	OptTLBDynamicLB
	OptMissedMax
	OptCoupledControl
	NumOptions
)

// Option describes one bonding option.
type Option struct {
	ID      ID
	Name    string   // modprobe/sysfs name
	Aliases []string // other accepted names (num_unsol_na)
	Kind    Kind
	Enum    []string // KindEnum: name of kernel value i ("" = no such value)
	Min     uint64   // KindUint range
	Max     uint64
	Default uint64 // kernel default for numeric kinds (see Defaults for mode-dependent ones)
	// Modes where the option applies. The kernel refuses some outside them (EACCES:
	// Refused=true) and ignores others; hostnet treats both as plan errors.
	Modes   ModeSet
	Refused bool
	// Changing it needs the bond without slaves (ENOTEMPTY) or down (EBUSY).
	NoSlaves bool
	IfDown   bool
	Attr     uint16 // IFLA_BOND_* attribute
	Size     int    // bytes of the netlink attribute for numeric kinds (1, 2, 4)
	Since    string // first kernel with the option, where newer than 5.0
	Doc      string
}

var arpModes = Modes(BalanceRR, ActiveBackup, BalanceXOR, Broadcast)

// Table holds every option, indexed by ID.
var Table = [NumOptions]Option{
	OptMode: {Name: "mode", Kind: KindEnum, Enum: modeNames, Modes: AllModes, NoSlaves: true, IfDown: true,
		Attr: unix.IFLA_BOND_MODE, Size: 1, Doc: "bonding policy"},
	OptActiveSlave: {Name: "active_slave", Kind: KindIface, Modes: Modes(ActiveBackup, BalanceTLB, BalanceALB), Refused: true,
		Attr: unix.IFLA_BOND_ACTIVE_SLAVE, Size: 4, Doc: "slave to make active now"},
	OptMiimon: {Name: "miimon", Kind: KindUint, Max: 1<<31 - 1, Modes: AllModes,
		Attr: unix.IFLA_BOND_MIIMON, Size: 4, Doc: "MII link monitoring interval, ms"},
	OptUpdelay: {Name: "updelay", Kind: KindUint, Max: 1<<31 - 1, Modes: AllModes,
		Attr: unix.IFLA_BOND_UPDELAY, Size: 4, Doc: "ms to wait before enabling a slave after link up (multiple of miimon)"},
	OptDowndelay: {Name: "downdelay", Kind: KindUint, Max: 1<<31 - 1, Modes: AllModes,
		Attr: unix.IFLA_BOND_DOWNDELAY, Size: 4, Doc: "ms to wait before disabling a slave after link down (multiple of miimon)"},
	OptPeerNotifDelay: {Name: "peer_notif_delay", Kind: KindUint, Max: 300000, Modes: Modes(ActiveBackup),
		Attr: unix.IFLA_BOND_PEER_NOTIF_DELAY, Size: 4, Since: "5.5", Doc: "ms between peer notifications after failover (multiple of miimon)"},
	OptUseCarrier: {Name: "use_carrier", Kind: KindBool, Max: 1, Default: 1, Modes: AllModes,
		Attr: unix.IFLA_BOND_USE_CARRIER, Size: 1, Doc: "MII monitor uses netif_carrier_ok"},
	OptArpInterval: {Name: "arp_interval", Kind: KindUint, Max: 1<<31 - 1, Modes: arpModes, Refused: true,
		Attr: unix.IFLA_BOND_ARP_INTERVAL, Size: 4, Doc: "ARP monitoring interval, ms"},
	OptArpIPTarget: {Name: "arp_ip_target", Kind: KindIPv4List, Modes: arpModes,
		Attr: unix.IFLA_BOND_ARP_IP_TARGET, Doc: "IPv4 addresses to probe (1..16)"},
	OptNSIP6Target: {Name: "ns_ip6_target", Kind: KindIPv6List, Modes: arpModes,
		Attr: unix.IFLA_BOND_NS_IP6_TARGET, Since: "5.17", Doc: "IPv6 addresses to probe with neighbour solicitations (1..16)"},
	OptArpValidate: {Name: "arp_validate", Kind: KindEnum, Enum: []string{"none", "active", "backup", "all", "filter", "filter_active", "filter_backup"},
		Modes: arpModes, Refused: true, Attr: unix.IFLA_BOND_ARP_VALIDATE, Size: 4, Doc: "which ARP replies count as link proof"},
	OptArpAllTargets: {Name: "arp_all_targets", Kind: KindEnum, Enum: []string{"any", "all"}, Modes: arpModes,
		Attr: unix.IFLA_BOND_ARP_ALL_TARGETS, Size: 4, Doc: "a slave is up when any/all targets answer"},
	OptPrimary: {Name: "primary", Kind: KindIface, Modes: Modes(ActiveBackup, BalanceTLB, BalanceALB), Refused: true,
		Attr: unix.IFLA_BOND_PRIMARY, Size: 4, Doc: "preferred slave"},
	OptPrimaryReselect: {Name: "primary_reselect", Kind: KindEnum, Enum: []string{"always", "better", "failure"},
		Modes: Modes(ActiveBackup, BalanceTLB, BalanceALB), Attr: unix.IFLA_BOND_PRIMARY_RESELECT, Size: 1,
		Doc: "when the primary becomes active again after recovery"},
	OptFailOverMAC: {Name: "fail_over_mac", Kind: KindEnum, Enum: []string{"none", "active", "follow"},
		Modes: Modes(ActiveBackup), NoSlaves: true, Attr: unix.IFLA_BOND_FAIL_OVER_MAC, Size: 1,
		Doc: "MAC address policy on failover"},
	OptXmitHashPolicy: {Name: "xmit_hash_policy", Kind: KindEnum, Enum: []string{"layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"},
		Modes: Modes(BalanceXOR, LACP, BalanceTLB, BalanceALB), Attr: unix.IFLA_BOND_XMIT_HASH_POLICY, Size: 1,
		Doc: "transmit hash for slave selection"},
	OptResendIGMP: {Name: "resend_igmp", Kind: KindUint, Max: 255, Default: 1, Modes: Modes(BalanceRR, ActiveBackup, BalanceTLB, BalanceALB),
		Attr: unix.IFLA_BOND_RESEND_IGMP, Size: 4, Doc: "IGMP membership reports after failover"},
	OptNumPeerNotif: {Name: "num_grat_arp", Aliases: []string{"num_unsol_na"}, Kind: KindUint, Max: 255, Default: 1, Modes: Modes(ActiveBackup),
		Attr: unix.IFLA_BOND_NUM_PEER_NOTIF, Size: 1, Doc: "gratuitous ARPs / unsolicited NAs after failover"},
	OptAllSlavesActive: {Name: "all_slaves_active", Kind: KindBool, Max: 1, Modes: AllModes,
		Attr: unix.IFLA_BOND_ALL_SLAVES_ACTIVE, Size: 1, Doc: "deliver frames received on inactive slaves"},
	OptMinLinks: {Name: "min_links", Kind: KindUint, Max: 1<<31 - 1, Modes: Modes(LACP),
		Attr: unix.IFLA_BOND_MIN_LINKS, Size: 4, Doc: "slaves needed for carrier"},
	OptLPInterval: {Name: "lp_interval", Kind: KindUint, Min: 1, Max: 1<<31 - 1, Default: 1, Modes: Modes(BalanceTLB, BalanceALB),
		Attr: unix.IFLA_BOND_LP_INTERVAL, Size: 4, Doc: "seconds between learning packets to peers"},
	OptPacketsPerSlave: {Name: "packets_per_slave", Kind: KindUint, Max: 65535, Default: 1, Modes: Modes(BalanceRR), Refused: true,
		Attr: unix.IFLA_BOND_PACKETS_PER_SLAVE, Size: 4, Doc: "packets sent on a slave before moving to the next"},
	OptLACPRate: {Name: "lacp_rate", Kind: KindEnum, Enum: []string{"slow", "fast"}, Modes: Modes(LACP), Refused: true, IfDown: true,
		Attr: unix.IFLA_BOND_AD_LACP_RATE, Size: 1, Doc: "LACPDU rate asked of the partner"},
	OptLACPActive: {Name: "lacp_active", Kind: KindEnum, Enum: []string{"off", "on"}, Default: 1, Modes: Modes(LACP), Refused: true, IfDown: true,
		Attr: unix.IFLA_BOND_AD_LACP_ACTIVE, Size: 1, Since: "5.15", Doc: "send LACPDUs actively"},
	OptADSelect: {Name: "ad_select", Kind: KindEnum, Enum: []string{"stable", "bandwidth", "count"}, Modes: Modes(LACP), IfDown: true,
		Attr: unix.IFLA_BOND_AD_SELECT, Size: 1, Doc: "aggregator selection logic"},
	OptADActorSysPrio: {Name: "ad_actor_sys_prio", Kind: KindUint, Min: 1, Max: 65535, Default: 65535, Modes: Modes(LACP), Refused: true,
		Attr: unix.IFLA_BOND_AD_ACTOR_SYS_PRIO, Size: 2, Doc: "LACP system priority"},
	OptADUserPortKey: {Name: "ad_user_port_key", Kind: KindUint, Max: 1023, Modes: Modes(LACP), Refused: true, IfDown: true,
		Attr: unix.IFLA_BOND_AD_USER_PORT_KEY, Size: 2, Doc: "upper bits of the LACP port key"},
	OptADActorSystem: {Name: "ad_actor_system", Kind: KindMAC, Modes: Modes(LACP), Refused: true,
		Attr: unix.IFLA_BOND_AD_ACTOR_SYSTEM, Doc: "LACP system MAC (default: the bond's)"},
	OptTLBDynamicLB: {Name: "tlb_dynamic_lb", Kind: KindBool, Max: 1, Default: 1, Modes: Modes(BalanceTLB, BalanceALB), Refused: true, IfDown: true,
		Attr: unix.IFLA_BOND_TLB_DYNAMIC_LB, Size: 1, Doc: "rebalance flows by load (0: by hash)"},
	OptMissedMax: {Name: "arp_missed_max", Kind: KindUint, Min: 1, Max: 255, Default: 2, Modes: arpModes, Refused: true,
		Attr: unix.IFLA_BOND_MISSED_MAX, Size: 1, Since: "5.18", Doc: "missed ARP probes before a slave is down"},
	OptCoupledControl: {Name: "coupled_control", Kind: KindEnum, Enum: []string{"off", "on"}, Default: 1, Modes: Modes(LACP), Refused: true, IfDown: true,
		Attr: unix.IFLA_BOND_COUPLED_CONTROL, Size: 1, Since: "6.9", Doc: "couple collecting and distributing state"},
}

var byName = map[string]ID{}

func init() {
	for i := range Table {
		Table[i].ID = ID(i)
		byName[Table[i].Name] = ID(i)
		for _, a := range Table[i].Aliases {
			byName[a] = ID(i)
		}
	}
}

// Lookup finds an option by its modprobe/sysfs name or alias.
func Lookup(name string) (*Option, bool) {
	id, ok := byName[name]
	if !ok {
		return nil, false
	}
	return &Table[id], true
}

// Names lists every accepted option name, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (o *Option) String() string { return o.Name }

// ParseEnum reads an enum or bool option value written as a name or a number, as modprobe
// and sysfs accept ("active-backup" or "1"; "fast" or "1").
func (o *Option) ParseEnum(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if o.Kind == KindEnum {
		for i, n := range o.Enum {
			if n != "" && n == s {
				return uint64(i), nil
			}
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err == nil {
		if o.Kind == KindEnum && n < uint64(len(o.Enum)) && o.Enum[n] != "" {
			return n, nil
		}
		if o.Kind == KindBool && n <= 1 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s must be %s", o.Name, o.Spellings())
}

// Spellings describes the accepted values, for error messages.
func (o *Option) Spellings() string {
	switch o.Kind {
	case KindEnum:
		var alts []string
		for i, n := range o.Enum {
			if n != "" {
				alts = append(alts, fmt.Sprintf("%q (%d)", n, i))
			}
		}
		return "one of " + strings.Join(alts, ", ")
	case KindBool:
		return "0 or 1 (or false/true)"
	case KindUint:
		return fmt.Sprintf("a whole number from %d to %d", o.Min, o.Max)
	case KindIPv4List:
		return "a list of 1 to 16 distinct IPv4 addresses"
	case KindIPv6List:
		return "a list of 1 to 16 distinct IPv6 addresses"
	case KindMAC:
		return "a unicast MAC address"
	case KindIface:
		return "a reference to one of the bond's slaves, e.g. nic.uplink0"
	}
	return "a value"
}

// Format renders a numeric value the way sysfs shows it ("active-backup", "fast", "100").
func (o *Option) Format(v uint64) string {
	if o.Kind == KindEnum && v < uint64(len(o.Enum)) && o.Enum[v] != "" {
		return o.Enum[v]
	}
	return strconv.FormatUint(v, 10)
}

// DefaultFor is the value the kernel gives a new bond in mode m for a numeric option the
// plan leaves out. The kernel forces miimon to 100 in modes without ARP monitoring
// (bond_option_mode_set), so that default depends on the mode.
func DefaultFor(id ID, m Mode) uint64 {
	if id == OptMiimon && !m.UsesARP() {
		return 100
	}
	return Table[id].Default
}
