package topo

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/lab"
)

// Attach opens host name (netns hn-<name>) of a topology that an earlier process built:
// named namespaces outlive their creator, so a lab booted with systemd (lab.Options.Booted)
// checks after the boot, in a new process, the hosts its set-up made before it. Guests
// need no Attach: (&Topology{}).AddGuest plugs a new one into a bridge of the root ns.
func Attach(name string) (*Host, error) {
	if !lab.Inside() {
		return nil, errors.New("topo: outside the lab; refusing to touch this kernel's network")
	}
	ns, err := netns.GetFromName("hn-" + name)
	if err != nil {
		return nil, fmt.Errorf("topo: netns hn-%s: %w", name, err)
	}
	h := &Host{Name: name, NS: "hn-" + name, ns: ns}
	nh, err := h.Handle()
	if err != nil {
		return nil, err
	}
	defer nh.Close()
	if eth, err := nh.LinkByName("eth0"); err == nil {
		h.MAC = eth.Attrs().HardwareAddr
	}
	return h, nil
}
