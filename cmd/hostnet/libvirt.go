package main

import (
	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/libvirtnet"
)

// libvirtFlags select the libvirt daemon whose networks the plan manages.
type libvirtFlags struct {
	uri string
}

func (f *libvirtFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.uri, "libvirt-uri", libvirtnet.DefaultURI, "libvirt connection for libvirt_network blocks")
}

// networkPlan is the libvirt half of a plan: the connection and the changes. A nil
// networkPlan means libvirt is not involved: the plan has no libvirt_network blocks and no
// daemon answered at the URI (so it can hold no networks hostnet made either).
type networkPlan struct {
	conn    *libvirtnet.Conn
	changes *libvirtnet.Changes
}

func (n *networkPlan) close() {
	if n != nil && n.conn != nil {
		n.conn.Close()
	}
}

func (n *networkPlan) hasChanges() bool { return n != nil && !n.changes.Empty() }

// planNetworks connects to libvirt and plans the networks of p (destroy: their removal);
// planned is how many networks the plan has. A plan without networks does not need
// libvirt: when no daemon answers, the result is nil and nothing is said (there is nothing
// to plan, and no daemon means no networks hostnet made either).
func planNetworks(p *plan.Plan, f *libvirtFlags, destroy bool) (n *networkPlan, planned int, err error) {
	desired, err := libvirtnet.Desired(p)
	if err != nil {
		return nil, 0, err
	}
	conn, err := libvirtnet.Connect(f.uri)
	if err != nil {
		if len(desired) == 0 {
			return nil, 0, nil
		}
		return nil, len(desired), err
	}
	n = &networkPlan{conn: conn}
	if destroy {
		st, err := conn.Read()
		if err != nil {
			conn.Close()
			return nil, len(desired), err
		}
		n.changes = libvirtnet.DestroyChanges(desired, st)
		return n, len(desired), nil
	}
	if _, n.changes, err = conn.Plan(desired); err != nil {
		conn.Close()
		return nil, len(desired), err
	}
	return n, len(desired), nil
}

// changesOf is the libvirt part for jsonout (nil when libvirt is not involved).
func (n *networkPlan) changesOf() *libvirtnet.Changes {
	if n == nil {
		return nil
	}
	return n.changes
}

// apply runs the libvirt changes. Networks go on bridges the kernel has now: s is the live
// state read after the kernel part was applied and verified, so a network is never started
// on a missing bridge (libvirt itself would start it). A nil s is for destroy, which only
// stops and undefines.
func (n *networkPlan) apply(s *live.State, prog *progress) error {
	if !n.hasChanges() {
		return nil
	}
	exists := func(string) bool { return true }
	if s != nil {
		exists = s.IsBridge
	}
	defer prog.done()
	return libvirtnet.ApplyProgress(n.conn, n.changes, exists, func(done, total int) {
		prog.steps("libvirt networks", done, total, "")
	})
}
