package validate

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/plan"
)

const maxTargets = 16 // BOND_MAX_ARP_TARGETS, BOND_MAX_NS_TARGETS

// modeText names the bond's mode and, when the plan leaves it out, says it is the default.
func modeText(b *plan.Bond) string {
	m := b.Options.Mode()
	if b.Options.IsSet(bonding.OptMode) {
		return fmt.Sprintf("%s (mode %d)", m, m)
	}
	return fmt.Sprintf("%s (mode %d, the kernel default: the bond sets no mode)", m, m)
}

func checkBondOptions(c *checker) {
	for _, b := range c.p.Bonds {
		c.optionModes(b)
		c.monitoring(b)
		c.arpTargets(b)
		c.bondMembers(b)
	}
}

// optionModes: every option the plan sets must apply in the bond's mode (bonding.Table).
func (c *checker) optionModes(b *plan.Bond) {
	mode := b.Options.Mode()
	bad := map[string]bool{}
	c.optBad[b] = bad
	for _, id := range b.Options.SetIDs() {
		o := &bonding.Table[id]
		if o.Modes.Has(mode) {
			continue
		}
		bad[o.Name] = true
		what := "The kernel accepts it in this mode but ignores it, so the plan would not do what it says."
		if o.Refused {
			what = "The kernel rejects it with EACCES in this mode (bond_opt_check_deps)."
			if o.Kind == bonding.KindUint || o.Kind == bonding.KindBool {
				what = "The kernel rejects it with EACCES in this mode, even when the value is 0 (bond_opt_check_deps)."
			}
		}
		c.report("option-mode", attrOf(&b.Source, o.Name),
			"%s applies only in %s; %s uses %s. %s Remove %s, or choose one of those modes.",
			o.Name, modeList(o.Modes), name(b), modeText(b), what, o.Name)
	}
	// Per-slave prio (IFLA_BOND_SLAVE_PRIO): the kernel refuses it outside 1, 5, 6.
	prioModes := bonding.Modes(bonding.ActiveBackup, bonding.BalanceTLB, bonding.BalanceALB)
	if !prioModes.Has(mode) {
		for _, s := range b.Slaves {
			if s.Prio == nil {
				continue
			}
			subj := loc{b.Addr, s.Attr("prio", b.Block)}
			c.report("option-mode", subj,
				"The slave option prio (of %s) applies only in %s; %s uses %s. The kernel rejects it with EACCES in this mode. Remove prio, or choose one of those modes.",
				s.NIC.Addr, modeList(prioModes), name(b), modeText(b))
		}
	}
}

func modeList(s bonding.ModeSet) string {
	n := 0
	for m := bonding.BalanceRR; m <= bonding.BalanceALB; m++ {
		if s.Has(m) {
			n++
		}
	}
	return plural(n, "mode ", "modes ") + s.String()
}

// applies reports whether option id is set and valid for the mode (reported otherwise).
func (c *checker) applies(b *plan.Bond, id bonding.ID) bool {
	return b.Options.IsSet(id) && !c.optBad[b][bonding.Table[id].Name]
}

// arpInterval is the ARP monitoring interval in effect (0 when the mode forbids it).
func arpInterval(b *plan.Bond) uint64 {
	if !b.Options.Applies(bonding.OptArpInterval) {
		return 0
	}
	return b.Options.Num(bonding.OptArpInterval)
}

func (c *checker) monitoring(b *plan.Bond) {
	o := &b.Options
	mode := o.Mode()
	miimon := o.Num(bonding.OptMiimon) // mode-dependent default (bonding.DefaultFor)
	arp := arpInterval(b)

	// miimon with ARP monitoring: bond_changelink refuses both in one message.
	if o.IsSet(bonding.OptMiimon) && miimon > 0 {
		if c.applies(b, bonding.OptArpInterval) && arp > 0 {
			c.report("miimon-with-arp", attrOf(&b.Source, "arp_interval"),
				"%s sets miimon = %d and arp_interval = %d. The kernel refuses both in one netlink message with EINVAL (\"ARP monitoring cannot be used with MII monitoring\"); set through sysfs the last one wins and turns the other off. Keep one: miimon (link state) or arp_interval with arp_ip_target (reachability of an address).",
				name(b), miimon, arp)
		}
		if c.applies(b, bonding.OptArpValidate) && o.Num(bonding.OptArpValidate) != 0 {
			c.report("miimon-with-arp", attrOf(&b.Source, "arp_validate"),
				"%s sets miimon = %d and arp_validate = %s. The kernel refuses ARP validation with MII monitoring in one netlink message with EINVAL (\"ARP validating cannot be used with MII monitoring\"). Remove arp_validate, or monitor with arp_interval instead of miimon.",
				name(b), miimon, o.Get(bonding.OptArpValidate).Format(bonding.OptArpValidate))
		}
	}

	// No link monitoring at all.
	if miimon == 0 && arp == 0 {
		var why string
		switch {
		case !mode.UsesARP():
			why = fmt.Sprintf("the kernel sets miimon to 100 when the bond enters %s, but miimon = 0 written here turns MII monitoring off again, and ARP monitoring is not allowed in this mode.", mode)
			if mode == bonding.LACP {
				why += " Only the LACP timeout (3 s with lacp_rate fast, 90 s slow) would take a dead link out."
			}
		case o.IsSet(bonding.OptMiimon):
			why = "miimon = 0 turns MII monitoring off and arp_interval is not set."
		default:
			why = fmt.Sprintf("in %s the kernel's miimon default is 0 and arp_interval is not set.", mode)
		}
		c.report("no-link-monitoring", attrOf(&b.Source, "miimon"),
			"%s would never notice a failed link: %s The kernel accepts such a bond (it only logs a warning), but it keeps sending on a dead slave, so the bond gives no failover. Set miimon = 100 (the kernel documentation's starting point), or arp_interval with arp_ip_target where the mode allows it.",
			name(b), why)
	}

	// updelay, downdelay, peer_notif_delay are counted in miimon ticks.
	for _, id := range []bonding.ID{bonding.OptUpdelay, bonding.OptDowndelay, bonding.OptPeerNotifDelay} {
		if !c.applies(b, id) {
			continue
		}
		opt := bonding.Table[id].Name
		v := o.Num(id)
		if miimon == 0 {
			c.report("delay-without-miimon", attrOf(&b.Source, opt),
				"%s is counted in MII monitor ticks, but %s has miimon = 0: the kernel refuses to set it with EPERM (\"MII monitoring is disabled\"), even to 0. Set miimon (e.g. 100) or remove %s.",
				opt, name(b), opt)
			continue
		}
		if v%miimon != 0 {
			down := v / miimon * miimon
			c.report("delay-not-multiple", attrOf(&b.Source, opt),
				"%s = %d is not a multiple of miimon = %d: the kernel rounds it down to %d ms (logging a warning), so the bond would not have the delay the plan asks for and every later plan would show a change. Write %d or %d.",
				opt, v, miimon, down, down, down+miimon)
		}
	}

	// ARP monitoring needs somewhere to send probes.
	if c.applies(b, bonding.OptArpInterval) && arp > 0 &&
		len(o.Get(bonding.OptArpIPTarget).Addrs) == 0 && len(o.Get(bonding.OptNSIP6Target).Addrs) == 0 {
		c.report("arp-interval-without-target", attrOf(&b.Source, "arp_interval"),
			"%s sets arp_interval = %d but no arp_ip_target (or ns_ip6_target): the bond sends no probes, receives no replies, and takes every slave down. Add arp_ip_target = [\"<an address that answers on this segment, e.g. the gateway>\"].",
			name(b), arp)
	}

	// arp_all_targets counts the targets that must answer for ARP validation, which
	// exists only in active-backup: elsewhere, or without arp_validate, it is stored and
	// ignored (bonding.rst: "affects only active-backup mode for slaves with arp_validation
	// enabled"), like the options option-mode reports.
	if arp > 0 && c.applies(b, bonding.OptArpAllTargets) && (mode != bonding.ActiveBackup || o.Num(bonding.OptArpValidate) == 0) {
		why := fmt.Sprintf("%s uses %s", name(b), modeText(b))
		if mode == bonding.ActiveBackup {
			why = fmt.Sprintf("%s has arp_validate = none", name(b))
		}
		c.report("arp-all-targets-inert", attrOf(&b.Source, "arp_all_targets"),
			"arp_all_targets only decides how many targets must answer for ARP validation, which applies only in active-backup with arp_validate set; %s, so the kernel stores it and ignores it. Remove arp_all_targets, or set arp_validate (active-backup).",
			why)
	}

	// ARP options without ARP monitoring.
	if arp == 0 {
		for _, id := range []bonding.ID{bonding.OptArpValidate, bonding.OptArpAllTargets, bonding.OptMissedMax, bonding.OptArpIPTarget, bonding.OptNSIP6Target} {
			if !c.applies(b, id) {
				continue
			}
			if id == bonding.OptArpValidate && miimon > 0 && o.IsSet(bonding.OptMiimon) && o.Num(id) != 0 {
				continue // reported as miimon-with-arp
			}
			opt := bonding.Table[id].Name
			c.report("arp-option-without-interval", attrOf(&b.Source, opt),
				"%s only affects the ARP monitor, and %s has no arp_interval: the kernel stores it and ignores it. Remove %s, or set arp_interval (instead of miimon) to use ARP monitoring.",
				opt, name(b), opt)
		}
	}
}

// arpTargets checks arp_ip_target and ns_ip6_target lists.
func (c *checker) arpTargets(b *plan.Bond) {
	for _, id := range []bonding.ID{bonding.OptArpIPTarget, bonding.OptNSIP6Target} {
		if !c.applies(b, id) {
			continue
		}
		opt := bonding.Table[id].Name
		subj := attrOf(&b.Source, opt)
		addrs := b.Options.Get(id).Addrs
		if len(addrs) > maxTargets {
			c.report("arp-targets-too-many", subj,
				"%s lists %d addresses; the kernel keeps at most %d and refuses more with EINVAL (\"target table is full\"). Keep %d or fewer: a few addresses that answer on the segment (gateways, switches) are enough.",
				opt, len(addrs), maxTargets, maxTargets)
		}
		seen := map[netip.Addr]bool{}
		for _, a := range addrs {
			if seen[a] {
				c.report("arp-target-duplicate", subj,
					"%s lists %s twice; the kernel refuses a target that is already present with EINVAL. List each address once.", opt, a)
				continue
			}
			seen[a] = true
			v4 := a.Is4() || a.Is4In6()
			switch {
			case id == bonding.OptArpIPTarget && !v4:
				c.report("arp-target-ipv6", subj,
					"%s is an IPv6 address; arp_ip_target probes with ARP, IPv4 only, and netlink carries each target as 4 bytes, so the kernel would read the first 4 bytes of %s as an IPv4 address. Put IPv6 targets in ns_ip6_target (kernel 5.17+), which probes with neighbour solicitations.", a, a)
			case id == bonding.OptNSIP6Target && v4:
				c.report("ns-target-ipv4", subj,
					"%s is an IPv4 address; ns_ip6_target probes with IPv6 neighbour solicitations. Put IPv4 targets in arp_ip_target.", a)
			case id == bonding.OptArpIPTarget && (a.Unmap().As4()[0] == 0 || a.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255})):
				c.report("arp-target-unusable", subj,
					"%s cannot be probed: the kernel refuses 0.0.0.0/8 and the broadcast address as ARP targets with EINVAL. Use a unicast address that answers on the segment, e.g. the gateway.", a)
			case id == bonding.OptNSIP6Target && (a.IsUnspecified() || a.IsLoopback() || a.IsMulticast()):
				c.report("arp-target-unusable", subj,
					"%s cannot be probed: the kernel refuses the unspecified, loopback and multicast addresses as NS targets with EINVAL. Use a unicast address that answers on the segment.", a)
			}
		}
	}
}

// bondMembers checks primary, active_slave, ad_actor_system and min_links.
func (c *checker) bondMembers(b *plan.Bond) {
	isSlave := func(n *plan.NIC) bool {
		for _, s := range b.Slaves {
			if s.NIC == n {
				return true
			}
		}
		return false
	}
	for _, x := range []struct {
		id  bonding.ID
		nic *plan.NIC
		why string
	}{
		{bonding.OptPrimary, b.Primary, "The kernel only records the name and waits for a slave of that name, so the preference never takes effect."},
		{bonding.OptActiveSlave, b.ActiveSlave, "The kernel refuses it with EINVAL (\"not enslaved\")."},
	} {
		if x.nic == nil || !c.applies(b, x.id) || isSlave(x.nic) {
			continue
		}
		opt := bonding.Table[x.id].Name
		c.report("slave-not-in-bond", attrOf(&b.Source, opt),
			"%s = %s, but %s is not in the slaves of %s. %s Name one of the bond's slaves, or add %s to slaves.",
			opt, x.nic.Addr, x.nic.Addr, name(b), x.why, x.nic.Addr)
	}
	if c.applies(b, bonding.OptADActorSystem) {
		mac := b.Options.Get(bonding.OptADActorSystem).MAC
		// All zeros is the kernel's default (the bond's own MAC is used), which it accepts
		// and reads back; only a multicast address is refused (bond_option_ad_actor_system_set).
		if mac != nil && len(mac) == 6 && mac[0]&1 != 0 {
			c.report("ad-actor-system", attrOf(&b.Source, "ad_actor_system"),
				"ad_actor_system = %s is %s; LACP identifies the system by a unicast MAC and the kernel refuses a multicast one with EINVAL. Use a unicast MAC (first byte even, e.g. 52:54:00:...), or leave it out (or write 00:00:00:00:00:00, the kernel's default) to use the bond's MAC.",
				mac, macProblem(mac))
		}
	}
	if c.applies(b, bonding.OptMinLinks) {
		if n := b.Options.Num(bonding.OptMinLinks); n > uint64(len(b.Slaves)) && len(b.Slaves) > 0 {
			c.report("min-links-above-slaves", attrOf(&b.Source, "min_links"),
				"min_links = %d but %s has %d %s: the bond reports carrier only with at least min_links active ports, so it would never come up. Use at most %d.",
				n, name(b), len(b.Slaves), plural(len(b.Slaves), "slave", "slaves"), len(b.Slaves))
		}
	}
}

func unicast(mac net.HardwareAddr) bool {
	return len(mac) == 6 && mac[0]&1 == 0 && !zeroMAC(mac)
}

func zeroMAC(mac net.HardwareAddr) bool {
	for _, x := range mac {
		if x != 0 {
			return false
		}
	}
	return true
}

func macProblem(mac net.HardwareAddr) string {
	if zeroMAC(mac) {
		return "all zeros"
	}
	return "a multicast address (the lowest bit of the first byte is set)"
}
