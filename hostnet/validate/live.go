package validate

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// LiveRules are the checks only the live devices can answer (limits of one driver or one
// device). Live runs them; `hostnet plan` and `apply` call it before any change, and their
// diagnostics point at the plan's line like the static rules'.
var LiveRules = []Rule{
	{"mtu-above-device-max", errS, "MTU outside the device's range"},
	{"queue-id-above-queues", errS, "queue_id above the bond's TX queues"},
}

// DefaultBondTxQueues is the bonding module's tx_queues default: a new bond gets this many
// TX queues unless the module was loaded with another tx_queues.
const DefaultBondTxQueues = 16

// bondTxQueuesParam is where the loaded bonding module says what a new bond gets.
var bondTxQueuesParam = "/sys/module/bonding/parameters/tx_queues"

// Live checks a valid plan against the live devices: a NIC's (or a bond's slaves')
// MTU range, and each slave's queue_id against its bond's TX queue count (the bond's own
// when it exists, else what the bonding module gives a new bond). It changes nothing.
func Live(p *plan.Plan, s *live.State) hcl.Diagnostics {
	if p == nil || s == nil {
		return nil
	}
	c := newChecker(p)
	for _, n := range p.NICs {
		if n.MTU == 0 || n.MAC == nil {
			continue
		}
		if l, err := s.NIC(n.MAC); err == nil {
			c.mtuRange(&n.Iface, n.MTU, l, name(n))
		}
	}
	for _, b := range p.Bonds {
		if b.MTU != 0 {
			// The bond sets its MTU on every slave; the first that refuses fails it.
			for _, sl := range b.Slaves {
				if l, err := s.NIC(sl.NIC.MAC); err == nil {
					c.mtuRange(&b.Iface, b.MTU, l, fmt.Sprintf("%s, a slave of %s,", name(sl.NIC), name(b)))
				}
			}
		}
		queues, whose := bondTxQueues(b, s)
		for _, sl := range b.Slaves {
			if sl.QueueID == nil || int(*sl.QueueID) <= queues {
				continue
			}
			c.report("queue-id-above-queues", loc{b.Addr, sl.Attr("queue_id", b.Block)},
				"queue_id = %d for %s, but %s: the kernel takes queue ids up to the bond's TX queue count and refuses higher ones with EPERM (bond_option_queue_id_set). Use 1 to %d (0 = no queue mapping), or create the bond with more TX queues (bonding tx_queues).",
				*sl.QueueID, sl.NIC.Addr, whose, queues)
		}
	}
	return c.finish()
}

// mtuRange reports an MTU outside the live device's min_mtu..max_mtu.
func (c *checker) mtuRange(ic *plan.Iface, mtu int, l *live.Link, what string) {
	if (l.MaxMTU > 0 && mtu > l.MaxMTU) || mtu < l.MinMTU {
		c.report("mtu-above-device-max", attrOf(&ic.Source, "mtu"),
			"mtu = %d, but %s (the device %s on this host) takes MTUs from %d to %d (its driver's min_mtu and max_mtu); the kernel refuses others with EINVAL. Use an MTU in that range.",
			mtu, what, l.Name, l.MinMTU, l.MaxMTU)
	}
}

// bondTxQueues is the TX queue count the bond has (live) or will get, and says whose.
func bondTxQueues(b *plan.Bond, s *live.State) (int, string) {
	if l := s.Link(b.Name); l != nil && l.Kind == "bond" && l.NumTxQueues > 0 {
		return l.NumTxQueues, fmt.Sprintf("the live bond %s has %d TX queues", l.Name, l.NumTxQueues)
	}
	n := DefaultBondTxQueues
	if raw, err := os.ReadFile(bondTxQueuesParam); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && v > 0 {
			n = v
		}
	}
	return n, fmt.Sprintf("a new bond %s gets %d TX queues (bonding tx_queues)", b.Name, n)
}
