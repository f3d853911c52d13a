package validate

import (
	"fmt"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// defaultForwardDelay is the kernel's bridge forward_delay in seconds (br_dev_setup: 15 s).
const defaultForwardDelay = 15

// under describes where a bond sits below bridges, for messages.
func (c *checker) under(b *plan.Bond) string {
	bs := c.bridgedBy[b]
	first := bs[0]
	s := fmt.Sprintf("%s is a port of %s", name(b), name(first.Bridge))
	if first.Via != nil {
		s = fmt.Sprintf("%s carries %s, a port of %s", name(b), name(first.Via), name(first.Bridge))
	}
	if n := len(bs) - 1; n > 0 {
		s += fmt.Sprintf(" (and of %d more %s)", n, plural(n, "bridge", "bridges"))
	}
	return s + ", so guests on the bridge send and receive through it"
}

func evidence(id string) string {
	e := Evidence[id]
	return e.Kernel + " " + e.Proof
}

func switchText(p *plan.Plan) string {
	if !p.Switch.Declared {
		return "The plan has no switch block, so hostnet assumes the switch ports are neither an LACP group nor a static LAG."
	}
	return fmt.Sprintf("The switch block says lacp = %t, static_lag = %t.", p.Switch.LACP, p.Switch.StaticLAG)
}

func checkBridgedBonds(c *checker) {
	sw := c.p.Switch
	for _, b := range c.p.Bonds {
		if len(c.bridgedBy[b]) == 0 {
			continue
		}
		mode := b.Options.Mode()
		subj := attrOf(&b.Source, "mode")
		where := c.under(b)
		switch mode {
		case bonding.BalanceRR, bonding.BalanceXOR:
			if !sw.StaticLAG {
				bad := c.unmitigated(b)
				if len(bad) == 0 {
					checkNoLearning(c, b)
					break
				}
				id := "bridged-balance-rr"
				if mode == bonding.BalanceXOR {
					id = "bridged-balance-xor"
				}
				c.report(id, subj,
					"%s. It uses %s. %s %s Group the switch ports in a static LAG and declare switch { static_lag = true }, or use active-backup (no switch configuration) or 802.3ad with LACP on the switch. %s",
					where, modeText(b), switchText(c.p), evidence(id), learningHint(bad))
			}
		case bonding.Broadcast:
			if !sw.StaticLAG {
				c.report("bridged-broadcast", subj,
					"%s. It uses %s. %s %s Use active-backup, or 802.3ad with LACP on the switch.",
					where, modeText(b), switchText(c.p), evidence("bridged-broadcast"))
			} else {
				c.report("bridged-broadcast-lag", subj,
					"%s. It uses %s. %s Use it only when receivers need every frame on every path; otherwise use 802.3ad or balance-xor on the LAG.",
					where, modeText(b), evidence("bridged-broadcast-lag"))
			}
		case bonding.LACP:
			switch {
			case sw.StaticLAG && !sw.LACP: // both set is its own error (switch-lacp-and-static-lag)
				c.report("bridged-lacp-static-lag", subj,
					"%s. It uses %s. %s %s The lab could not make this set-up reliable (one run passed, another lost every guest ping), so it is not in the asserted evidence and hostnet refuses it. Run LACP on the switch ports and declare switch { lacp = true }, or use balance-xor on the static LAG.",
					where, modeText(b), switchText(c.p), evidence("bridged-lacp-static-lag"))
			case !sw.LACP:
				c.report("bridged-lacp-without-partner", subj,
					"%s. It uses %s. %s %s Guests keep working, on one link. For load sharing configure an LACP port group on the switch (MLAG across two switches) and declare switch { lacp = true }; otherwise active-backup says what you get.",
					where, modeText(b), switchText(c.p), evidence("bridged-lacp-without-partner"))
			}
		case bonding.BalanceTLB, bonding.BalanceALB:
			c.report("bridged-tlb-alb", subj,
				"%s. It uses %s. %s For guests prefer active-backup, or 802.3ad with LACP on the switch.",
				where, modeText(b), evidence("bridged-tlb-alb"))
		}

		if c.applies(b, bonding.OptAllSlavesActive) && b.Options.Num(bonding.OptAllSlavesActive) == 1 {
			c.report("bridged-all-slaves-active", attrOf(&b.Source, "all_slaves_active"),
				"%s. It sets all_slaves_active = 1. %s %s Set all_slaves_active = 0 (the default).",
				where, Evidence["bridged-all-slaves-active"].Kernel, Evidence["bridged-all-slaves-active"].Proof)
		}
		if c.applies(b, bonding.OptFailOverMAC) && b.Options.Num(bonding.OptFailOverMAC) == 1 {
			c.report("bridged-fail-over-mac-active", attrOf(&b.Source, "fail_over_mac"),
				"%s. It sets fail_over_mac = active: the bond MAC changes at every failover. %s Use fail_over_mac = none (the default) or follow under a bridge, and give the bridge an explicit mac.",
				where, evidence("bridged-fail-over-mac-active"))
		}

		// STP on a bridge above: updelay should cover the forwarding delay.
		miimon := b.Options.Num(bonding.OptMiimon)
		if miimon == 0 {
			continue // no MII monitor, no updelay (reported elsewhere if set)
		}
		for _, bg := range c.bridgedBy[b] {
			br := bg.Bridge
			if !br.STP {
				continue
			}
			fd := defaultForwardDelay
			fdText := fmt.Sprintf("the kernel default forward_delay of %d s", fd)
			if br.ForwardDelay != nil {
				fd = *br.ForwardDelay
				fdText = fmt.Sprintf("forward_delay = %d s", fd)
			}
			up := b.Options.Num(bonding.OptUpdelay)
			if up >= uint64(fd)*1000 {
				continue
			}
			c.report("bridged-stp-updelay", attrOf(&b.Source, "updelay"),
				"%s has STP on with %s, and %s has updelay = %d ms. %s Set updelay to at least %d ms (a multiple of miimon; with classic STP listening + learning take 2 × forward_delay), or turn STP off on %s and make the switch ports edge ports (PortFast).",
				name(br), fdText, name(b), up, evidence("bridged-stp-updelay"), roundUp(uint64(fd)*1000, miimon), name(br))
			break
		}
	}
}

func roundUp(v, step uint64) uint64 {
	if step == 0 {
		return v
	}
	return (v + step - 1) / step * step
}

// checkBridges checks bridge options on their own.
func checkBridges(c *checker) {
	for _, br := range c.p.Bridges {
		if br.STP && br.ForwardDelay != nil && (*br.ForwardDelay < 2 || *br.ForwardDelay > 30) {
			c.report("bridge-stp-forward-delay", attrOf(&br.Source, "forward_delay"),
				"%s has STP on and forward_delay = %d s; with STP the kernel accepts 2 to 30 s only (br_set_forward_delay returns ERANGE, and enabling STP raises a smaller value to 2 s). Set forward_delay between 2 and 30, or turn STP off.",
				name(br), *br.ForwardDelay)
		}
	}
}

func checkSwitch(c *checker) {
	sw := c.p.Switch
	if sw.Declared && sw.LACP && sw.StaticLAG {
		c.report("switch-lacp-and-static-lag", loc{"switch", sw.Range},
			"The switch block sets both lacp = true and static_lag = true. A switch port group is either negotiated with LACP (802.3ad) or grouped statically (EtherChannel \"mode on\"), never both, and the bridge-over-bond rules depend on which. Keep the one the switch is configured for.")
	}
}
