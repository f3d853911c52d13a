package bridge

import (
	"fmt"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// Switch is how the upstream switch treats the bond's ports.
type Switch uint8

const (
	// LearningSwitch: independent ports, each MAC learned on the port
	// it was last seen on (the lab: a plain Linux bridge).
	LearningSwitch Switch = iota + 1
	// StaticLAG: the ports form one static link aggregate (EtherChannel
	// "mode on"; the lab: a balance-xor bond on the switch side).
	StaticLAG
	// LACPPartner: the ports form an aggregate negotiated by LACP (the
	// lab: an 802.3ad bond on the switch side).
	LACPPartner
)

func (s Switch) String() string {
	switch s {
	case LearningSwitch:
		return "learning switch"
	case StaticLAG:
		return "static LAG"
	case LACPPartner:
		return "LACP partner"
	}
	return fmt.Sprintf("Switch(%d)", uint8(s))
}

// Reach is how one direction of traffic fared (20 pings, 20 ms apart).
type Reach uint8

const (
	Works  Reach = iota + 1 // every request answered
	Lossy                   // some answered, some lost
	Broken                  // none answered
)

func (r Reach) String() string {
	switch r {
	case Works:
		return "works"
	case Lossy:
		return "lossy"
	case Broken:
		return "broken"
	}
	return fmt.Sprintf("Reach(%d)", uint8(r))
}

// ReachOf classifies received answers out of sent requests.
func ReachOf(received, sent int) Reach {
	switch {
	case sent > 0 && received >= sent:
		return Works
	case received == 0:
		return Broken
	}
	return Lossy
}

// Verdict is one cell of the lab evidence: a bond mode (with options)
// under a bridge with a guest, against one kind of switch.
type Verdict struct {
	Mode    bonding.Mode
	Options string // bond options beyond the mode and miimon, sysfs spelling ("" = defaults)
	// Mitigation applied on the host bridge ("" = none): MitigationSticky
	// or MitigationNoLearning.
	Mitigation string
	Switch     Switch

	GuestToRemote Reach // guest behind the bridge pings a host behind the switch
	RemoteToGuest Reach
	HostToRemote  Reach // the hypervisor's own address on the bridge
	RemoteToHost  Reach
	// Duplicates: some echo requests were answered more than once.
	Duplicates bool
	// OwnAddress: the kernel logged "<bridge>: received packet on <bond>
	// with own address as source address": the switch sent the bridge's
	// own frames back into the bond.
	OwnAddress bool

	Summary string // what happened and why, for people; diagnostics quote it
}

// Served reports whether guests behind the bridge got every ping answered,
// both ways, exactly once. Whether a served set-up is also advisable (load
// sharing, kernel-version dependence) is for validation to say.
func (v Verdict) Served() bool {
	return v.GuestToRemote == Works && v.RemoteToGuest == Works && !v.Duplicates
}

// Cell names the set-up of a verdict, e.g. "balance-rr, learning switch".
func (v Verdict) Cell() string {
	s := v.Mode.String()
	if v.Options != "" {
		s += " (" + v.Options + ")"
	}
	if v.Mitigation != "" {
		s += " + " + v.Mitigation
	}
	return s + ", " + v.Switch.String()
}

// Mitigations measured in Evidence, applied with this package's helpers.
const (
	// MitigationSticky: a static sticky FDB entry for the guest's MAC on
	// its port (AddSticky).
	MitigationSticky = "sticky guest FDB entry"
	// MitigationNoLearning: learning off on the bond port (SetPortFlags).
	MitigationNoLearning = "no learning on the bond port"
)

// Kernel is the kernel the Evidence was measured on (hostnet's lab).
const Kernel = "Linux 6.1 (Debian user-mode-linux)"

// Lookup returns the verdict for a mode with default options against sw.
func Lookup(mode bonding.Mode, sw Switch) (Verdict, bool) {
	return LookupOptions(mode, "", sw)
}

// LookupOptions returns the verdict for a mode with the given bond
// options (as in Verdict.Options) and no mitigation.
func LookupOptions(mode bonding.Mode, options string, sw Switch) (Verdict, bool) {
	return LookupMitigated(mode, options, "", sw)
}

// LookupMitigated returns the verdict for a mode, bond options and a
// mitigation on the host bridge.
func LookupMitigated(mode bonding.Mode, options, mitigation string, sw Switch) (Verdict, bool) {
	for _, v := range Evidence {
		if v.Mode == mode && v.Options == options && v.Mitigation == mitigation && v.Switch == sw {
			return v, true
		}
	}
	return Verdict{}, false
}
