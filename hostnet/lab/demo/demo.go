// Package demo runs hostnet's main job end to end inside the lab kernel, for people to
// watch: it builds a switch and NICs with the plan's MAC addresses, a remote host and a
// guest, then shows plan, apply, the bonds' status, a failover under traffic, a re-plan
// with no changes, and destroy. It must only run inside the lab (lab.Inside).
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/planview"
	"github.com/hostnet/hostnet/hostnet/status"
	"github.com/hostnet/hostnet/libvirtnet"
)

// Options choose how the demo shows its work.
type Options struct {
	// Verbose shows every object of a plan; by default for_each instances are grouped
	// (planview's compact view).
	Verbose bool
	// Progress, when set, is told how far the apply and destroy are (kernel operations)
	// and, with what "libvirt networks", how far the networks are.
	Progress func(what string, done, total int, detail string)
	// ProgressDone clears the progress line before the next output.
	ProgressDone func()
}

func (o Options) ctx() context.Context {
	if o.Progress == nil {
		return context.Background()
	}
	return engine.WithProgress(context.Background(), func(done, total int, phase engine.Phase) {
		o.Progress("kernel operations", done, total, phase.String())
	})
}

func (o Options) done() {
	if o.ProgressDone != nil {
		o.ProgressDone()
	}
}

// Run runs the demo of plan p, writing what happens to w.
func Run(w io.Writer, p *plan.Plan, opts Options) (err error) {
	view := planview.Options{Verbose: opts.Verbose}
	if !lab.Inside() {
		return errors.New("the demo changes the network: it runs only inside the lab (hostnet lab demo)")
	}
	step := func(title string) { fmt.Fprintf(w, "\n==> %s\n\n", title) }
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	fmt.Fprintf(w, "hostnet lab: Linux %s (user-mode Linux), a throwaway kernel; the host is untouched.\n", unix.ByteSliceToString(uts.Release[:]))
	if p.Host != nil {
		// The plan's host guard names the machine; the lab plays that machine.
		if err := unix.Sethostname([]byte(p.Host.Name)); err != nil {
			return fmt.Errorf("setting the lab's hostname: %w", err)
		}
	}

	step("Building the lab: a switch, the plan's NICs (by MAC), a remote host and a guest")
	t, err := topo.New()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := t.Close(); err == nil {
			err = cerr
		}
	}()
	switch {
	case p.Switch.LACP:
		err = t.SetSwitchLAG("802.3ad")
		fmt.Fprintln(w, "switch: ports in an 802.3ad (LACP) group, as the plan's switch block declares")
	case p.Switch.StaticLAG:
		err = t.SetSwitchLAG("balance-xor")
		fmt.Fprintln(w, "switch: ports in a static LAG, as the plan's switch block declares")
	default:
		fmt.Fprintln(w, "switch: a plain learning bridge")
	}
	if err != nil {
		return err
	}
	for _, n := range p.NICs {
		if err := t.AddNIC(n.Name, n.MAC); err != nil {
			return fmt.Errorf("NIC %s: %w", n.Name, err)
		}
		// The lab names NICs as udev does on a real host, not after the plan's labels.
		fmt.Fprintf(w, "NIC %-10s %s  kernel name %-9s (cable to the switch)\n", n.Name, n.MAC, t.NIC(n.Name))
	}
	remoteAddr, guestAddr, guestBridge := pickAddresses(p)
	var guest *topo.Host
	if remoteAddr.IsValid() {
		if id := vlanOf(p, remoteAddr); id != 0 {
			if _, err = t.AddRemoteVLAN("remote", remoteAddr.String(), id); err != nil {
				return err
			}
			fmt.Fprintf(w, "remote host %s behind the switch, in VLAN %d (tagged)\n", remoteAddr, id)
		} else {
			if _, err = t.AddRemote("remote", remoteAddr.String()); err != nil {
				return err
			}
			fmt.Fprintf(w, "remote host %s behind the switch\n", remoteAddr)
		}
	}

	nets, err := startNetworks(w, p)
	if err != nil {
		return err
	}
	defer nets.close()

	step("hostnet plan")
	h := netns.None() // the lab's root namespace plays the hypervisor
	ch, err := diff(h, p)
	if err != nil {
		return err
	}
	if err := planview.RenderWith(w, ch, view); err != nil {
		return err
	}
	nets.view, nets.opts = view, opts
	nch, err := nets.plan(w)
	if err != nil {
		return err
	}

	step("hostnet apply --auto-approve")
	rep, err := engine.Apply(opts.ctx(), h, ch)
	opts.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Apply complete: %d kernel operations in %s, verified by reading back in %s.\n",
		rep.Steps, rep.Exec.Round(time.Millisecond/10), rep.Verify.Round(time.Millisecond/10))
	if err := nets.apply(w, h, nch); err != nil {
		return err
	}

	if guestBridge != "" {
		if guest, err = t.AddGuest("guest", guestAddr.String(), guestBridge); err != nil {
			return err
		}
		fmt.Fprintf(w, "guest %s attached to %s\n", guestAddr, guestBridge)
	}

	step("hostnet status")
	if err := printStatus(w, h, p); err != nil {
		return err
	}

	if err := failover(w, t, h, remoteAddr, guest, step); err != nil {
		return err
	}

	step("hostnet plan (again): the live network still matches the plan")
	if ch, err = diff(h, p); err != nil {
		return err
	}
	if err := planview.RenderWith(w, ch, view); err != nil {
		return err
	}
	if ch.HasChanges() {
		return errors.New("re-plan after apply shows changes")
	}
	if nch, err = nets.plan(w); err != nil {
		return err
	}
	if !nch.Empty() {
		return errors.New("re-plan after apply shows libvirt network changes")
	}

	step("hostnet destroy --auto-approve")
	if err := nets.destroy(w); err != nil {
		return err
	}
	s, err := engine.Read(h, p)
	if err != nil {
		return err
	}
	dch, err := engine.DestroyChanges(p, s)
	if err != nil {
		return err
	}
	if err := planview.RenderWith(w, dch, view); err != nil {
		return err
	}
	rep, err = engine.Apply(opts.ctx(), h, dch)
	opts.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Destroy complete: %d kernel operations in %s.\n", rep.Steps, rep.Exec.Round(time.Millisecond/10))
	return nil
}

func diff(h netns.NsHandle, p *plan.Plan) (*engine.Changes, error) {
	s, err := engine.Read(h, p)
	if err != nil {
		return nil, err
	}
	return engine.Diff(p, s)
}

func printStatus(w io.Writer, h netns.NsHandle, p *plan.Plan) error {
	s, err := engine.Read(h, p)
	if err != nil {
		return err
	}
	ch, err := engine.Diff(p, s)
	if err != nil {
		return err
	}
	return status.WriteText(w, status.Build(s, ch))
}

// failover cuts the cable of the active slave of the first bond with two or more slaves
// while a ping runs to the remote host, and shows what the traffic saw.
func failover(w io.Writer, t *topo.Topology, h netns.NsHandle, remote netip.Prefix, guest *topo.Host, step func(string)) error {
	s, err := live.Read(h)
	if err != nil {
		return err
	}
	var bond *live.Link
	var active string
	for _, l := range s.Links {
		if l.Bond == nil || len(s.Slaves(l)) < 2 {
			continue
		}
		bond = l
		for _, sl := range s.Slaves(l) {
			if sl.BondSlave != nil && sl.BondSlave.State == 0 && active == "" {
				active = sl.Name
			}
		}
		break
	}
	if bond == nil || active == "" || !remote.IsValid() {
		fmt.Fprintln(w, "\n(no bond with two slaves and a remote address: no failover to show)")
		return nil
	}
	from, who := t.Root(), "the hypervisor"
	if guest != nil {
		from, who = guest, "the guest"
	}
	step(fmt.Sprintf("Failover: pinging %s from %s every 10 ms, then pulling the cable of %s (active slave of %s)", remote.Addr(), who, active, bond.Name))
	// Let the path settle (ARP, and for 802.3ad the LACP negotiation) before measuring.
	if err := waitReachable(from, remote.Addr().String(), 20*time.Second); err != nil {
		return err
	}
	type result struct {
		r   topo.PingResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := from.PingStats(remote.Addr().String(), 300, 10*time.Millisecond)
		done <- result{r, err}
	}()
	time.Sleep(1 * time.Second)
	cut := time.Now()
	if err := t.CutNIC(active); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s  cable of %s pulled\n", cut.Format("15:04:05.000"), active)
	res := <-done
	if res.err != nil {
		return res.err
	}
	fmt.Fprintf(w, "ping: %d sent, %d received, %d lost; longest gap between replies %s\n",
		res.r.Sent, res.r.Received, res.r.Sent-res.r.Received, res.r.MaxGap.Round(time.Millisecond))
	if res.r.Received == 0 {
		return errors.New("no ping reply at all: the failover did not work")
	}
	fmt.Fprintln(w)
	if err := printStatusNoPlan(w, h); err != nil {
		return err
	}
	if err := t.RestoreNIC(active); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ncable of %s plugged back in\n", active)
	return nil
}

func printStatusNoPlan(w io.Writer, h netns.NsHandle) error {
	s, err := live.Read(h)
	if err != nil {
		return err
	}
	r := status.Build(s, nil)
	r.Bridges, r.VLANs = nil, nil
	return status.WriteText(w, r)
}

func waitReachable(from *topo.Host, dst string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, got, err := from.Ping(dst, 1, 0); err == nil && got == 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not reachable from %s after %s", dst, from.Name, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pickAddresses chooses the remote host's and the guest's addresses from the plan: the
// remote takes the plan's gateway (so the default route works) or a free address in the
// first planned subnet; the guest a free address on the first bridge that has one.
// vlanOf is the VLAN id of the plan's VLAN interface that has an address in the remote's
// prefix (a management VLAN such as vmbr0.50), 0 when that interface is untagged: the
// remote host then sits in that VLAN.
func vlanOf(p *plan.Plan, remote netip.Prefix) int {
	for _, v := range p.VLANs {
		for _, a := range v.Addresses {
			if a.Masked() == remote.Masked() {
				return v.ID
			}
		}
	}
	return 0
}

func pickAddresses(p *plan.Plan) (remote, guest netip.Prefix, guestBridge string) {
	used := map[netip.Addr]bool{}
	var first *plan.Iface
	for _, i := range p.Interfaces() {
		c := i.Common()
		for _, a := range c.Addresses {
			used[a.Addr()] = true
			if first == nil && a.Addr().Is4() {
				first = c
			}
		}
	}
	if first == nil {
		return
	}
	prefix := first.Addresses[0]
	// free is the first unused address of prefix from the from-th host on (or from the
	// start when the prefix is too small), invalid when the prefix has none left.
	free := func(from int) netip.Prefix {
		a := prefix.Masked().Addr().Next()
		for i := 1; i < from && prefix.Contains(a.Next()); i++ {
			a = a.Next()
		}
		for tries := 0; tries < 2; tries++ {
			for ; prefix.Contains(a); a = a.Next() {
				if !used[a] && a.Next().IsValid() && prefix.Contains(a.Next()) { // not the broadcast address
					used[a] = true
					return netip.PrefixFrom(a, prefix.Bits())
				}
			}
			a = prefix.Masked().Addr().Next() // wrap once
		}
		return netip.Prefix{}
	}
	if first.Gateway.IsValid() && prefix.Contains(first.Gateway) {
		remote = netip.PrefixFrom(first.Gateway, prefix.Bits())
		used[first.Gateway] = true
	} else {
		remote = free(100)
	}
	for _, br := range p.Bridges {
		for _, a := range br.Addresses {
			if g := free(200); a.Masked() == prefix.Masked() && g.IsValid() {
				return remote, g, br.Name
			}
		}
	}
	return remote, guest, ""
}

// networks is the demo's libvirt side: a libvirtd of the lab's own, when the plan has
// libvirt_network blocks.
type networks struct {
	conn    *libvirtnet.Conn
	desired []libvirtnet.Network
	stop    func()
	view    planview.Options
	opts    Options
}

func startNetworks(w io.Writer, p *plan.Plan) (*networks, error) {
	n := &networks{}
	if len(p.Networks) == 0 {
		return n, nil
	}
	var err error
	if n.desired, err = libvirtnet.Desired(p); err != nil {
		return nil, err
	}
	start := time.Now()
	if n.stop, err = labvirt.Ensure(); err != nil {
		return nil, err
	}
	if n.conn, err = libvirtnet.Connect(labvirt.URI); err != nil {
		n.stop()
		return nil, err
	}
	fmt.Fprintf(w, "libvirtd started in the lab (%s), with no networks of the host's\n", time.Since(start).Round(time.Millisecond))
	return n, nil
}

func (n *networks) close() {
	if n.conn != nil {
		n.conn.Close()
		n.stop()
	}
}

func (n *networks) plan(w io.Writer) (*libvirtnet.Changes, error) {
	if n.conn == nil {
		return &libvirtnet.Changes{}, nil
	}
	_, ch, err := n.conn.Plan(n.desired)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w)
	return ch, planview.RenderNetworksWith(w, ch, n.view)
}

// applyNetworks runs libvirt changes with progress.
func (n *networks) applyNetworks(ch *libvirtnet.Changes, exists func(string) bool) error {
	defer n.opts.done()
	return libvirtnet.ApplyProgress(n.conn, ch, exists, func(done, total int) {
		if n.opts.Progress != nil {
			n.opts.Progress("libvirt networks", done, total, "")
		}
	})
}

// apply registers the networks on the bridges the kernel now has.
func (n *networks) apply(w io.Writer, h netns.NsHandle, ch *libvirtnet.Changes) error {
	if n.conn == nil || ch.Empty() {
		return nil
	}
	s, err := live.Read(h)
	if err != nil {
		return err
	}
	if err := n.applyNetworks(ch, s.IsBridge); err != nil {
		return err
	}
	st, err := n.conn.Read()
	if err != nil {
		return err
	}
	var names []string
	for _, l := range st.Owned() {
		if l.Active {
			names = append(names, l.Name+" on "+l.Bridge)
		}
	}
	fmt.Fprintf(w, "libvirt networks defined, started and autostarted (%d): %s\n", len(names), planview.NameList(names))
	return nil
}

// destroy removes the networks first: none may be left on a bridge about to go.
func (n *networks) destroy(w io.Writer) error {
	if n.conn == nil {
		return nil
	}
	st, err := n.conn.Read()
	if err != nil {
		return err
	}
	ch := libvirtnet.DestroyChanges(n.desired, st)
	if err := planview.RenderNetworksWith(w, ch, n.view); err != nil {
		return err
	}
	if err := n.applyNetworks(ch, func(string) bool { return true }); err != nil {
		return err
	}
	var names []string
	for _, c := range ch.Changes {
		names = append(names, c.Name)
	}
	fmt.Fprintf(w, "libvirt networks deleted (%d): %s\n\n", len(names), planview.NameList(names))
	return nil
}
