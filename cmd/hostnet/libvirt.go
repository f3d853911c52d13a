package main

import (
	"fmt"
	"io"

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

// planNetworks connects to libvirt and plans the networks of p (destroy: their removal).
// With no planned networks an unreachable libvirt is only a note on stderr.
func planNetworks(stderr io.Writer, p *plan.Plan, f *libvirtFlags, destroy bool) (*networkPlan, error) {
	desired, err := libvirtnet.Desired(p)
	if err != nil {
		return nil, err
	}
	conn, err := libvirtnet.Connect(f.uri)
	if err != nil {
		if len(desired) == 0 {
			fmt.Fprintf(stderr, "Note: %v; the plan has no libvirt networks, so none were checked.\n", err)
			return nil, nil
		}
		return nil, err
	}
	n := &networkPlan{conn: conn}
	if destroy {
		st, err := conn.Read()
		if err != nil {
			conn.Close()
			return nil, err
		}
		n.changes = libvirtnet.DestroyChanges(desired, st)
		return n, nil
	}
	if _, n.changes, err = conn.Plan(desired); err != nil {
		conn.Close()
		return nil, err
	}
	return n, nil
}

// apply runs the libvirt changes. Networks go on bridges the kernel has now: s is the live
// state read after the kernel part was applied and verified, so a network is never started
// on a missing bridge (libvirt itself would start it). A nil s is for destroy, which only
// stops and undefines.
func (n *networkPlan) apply(s *live.State) error {
	if !n.hasChanges() {
		return nil
	}
	exists := func(string) bool { return true }
	if s != nil {
		exists = s.IsBridge
	}
	return libvirtnet.Apply(n.conn, n.changes, exists)
}
