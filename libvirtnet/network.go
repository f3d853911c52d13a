// Package libvirtnet registers the plan's libvirt networks: <forward mode='bridge'/>
// networks on bridges that the kernel side of hostnet built.
//
// The live libvirt is the state. Every network hostnet defines carries an ownership mark
// in its <metadata>:
//
//	<hostnet:owner xmlns:hostnet="https://hostnet.invalid/ns/1" plan-address="libvirt_network.x"/>
//
// Read lists all networks in one call and sorts them into owned (with the mark) and
// foreign ones; Diff compares the plan's networks with the owned ones; Apply carries the
// changes out, only after the caller confirmed that each network's bridge exists on the
// host (libvirt itself starts a bridge-mode network on a missing bridge). A network
// without the mark is never changed: one that has a planned network's name is an error.
//
// XML is generated and parsed with libvirt.org/go/libvirtxml; libvirtxml 9.0 lacks
// <bandwidth> inside <portgroup>, so this package extends its types with that one field
// (netXML, portGroupXML) and still marshals with encoding/xml.
package libvirtnet

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/hostnet/hostnet/hostnet/plan"
)

// Namespace is the XML namespace of hostnet's ownership mark in <metadata>.
const Namespace = "https://hostnet.invalid/ns/1"

// DefaultURI is the libvirt connection hostnet uses unless told otherwise.
const DefaultURI = "qemu:///system"

// Network is one libvirt network as hostnet sees it: planned (Desired) or read back from
// libvirt (Live.Network). It is what Diff compares, attribute by attribute.
type Network struct {
	Name       string      `json:"name"`
	Address    string      `json:"address,omitempty"` // plan address, from the ownership mark
	Bridge     string      `json:"bridge"`
	Forward    string      `json:"forward"` // always "bridge" when planned
	Autostart  bool        `json:"autostart"`
	MTU        int         `json:"mtu,omitempty"`
	Bandwidth  *Bandwidth  `json:"bandwidth,omitempty"`
	PortGroups []PortGroup `json:"portgroups,omitempty"`
}

// Bandwidth is libvirt's QoS element: rates in KiB/s, bursts in KiB.
type Bandwidth struct {
	Inbound  *Rate `json:"inbound,omitempty"`
	Outbound *Rate `json:"outbound,omitempty"`
}

// Rate is one direction of a Bandwidth; zero fields are unset.
type Rate struct {
	Average uint64 `json:"average"`
	Peak    uint64 `json:"peak,omitempty"`
	Burst   uint64 `json:"burst,omitempty"`
}

// PortGroup is a <portgroup> of a network.
type PortGroup struct {
	Name      string     `json:"name"`
	Default   bool       `json:"default,omitempty"`
	Bandwidth *Bandwidth `json:"bandwidth,omitempty"`
}

// libvirt stores a network's config in <name>.xml and refuses names with '/'. hostnet
// keeps to names that are safe as file names everywhere.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// Desired turns the plan's libvirt_network blocks into networks, checking what libvirt
// would refuse at define time (so that a bad plan fails before anything is changed).
func Desired(p *plan.Plan) ([]Network, error) {
	var errs []error
	seen := map[string]string{}
	out := make([]Network, 0, len(p.Networks))
	for _, pn := range p.Networks {
		n := Network{Name: pn.Name, Address: pn.Addr, Forward: "bridge", Autostart: pn.Autostart, MTU: pn.MTU}
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", pn.Addr, fmt.Sprintf(format, args...)))
		}
		if !validName.MatchString(n.Name) || len(n.Name) > 200 {
			fail("network name %q: use letters, digits and _ . + - (libvirt stores it as a file name)", n.Name)
		}
		if prev, ok := seen[n.Name]; ok {
			fail("network name %q is also used by %s", n.Name, prev)
		}
		seen[n.Name] = pn.Addr
		if pn.Bridge == nil {
			fail("no bridge")
		} else {
			n.Bridge = pn.Bridge.Name
		}
		n.Bandwidth = bandwidthFromPlan(pn.Bandwidth)
		defaults := 0
		pgSeen := map[string]bool{}
		for _, pg := range pn.PortGroups {
			if pg.Name == "" {
				fail("portgroup without a name")
			} else if pgSeen[pg.Name] {
				fail("portgroup %q declared twice", pg.Name)
			}
			pgSeen[pg.Name] = true
			if pg.Default {
				defaults++
			}
			n.PortGroups = append(n.PortGroups, PortGroup{Name: pg.Name, Default: pg.Default, Bandwidth: bandwidthFromPlan(pg.Bandwidth)})
		}
		if defaults > 1 {
			fail("%d portgroups have default = true; libvirt allows one", defaults)
		}
		for _, bw := range append([]*Bandwidth{n.Bandwidth}, pgBandwidths(n.PortGroups)...) {
			if err := bw.check(); err != nil {
				fail("%v", err)
			}
		}
		out = append(out, n)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func pgBandwidths(pgs []PortGroup) []*Bandwidth {
	var out []*Bandwidth
	for _, pg := range pgs {
		out = append(out, pg.Bandwidth)
	}
	return out
}

func bandwidthFromPlan(b *plan.Bandwidth) *Bandwidth {
	if b == nil || (b.Inbound == nil && b.Outbound == nil) {
		return nil
	}
	conv := func(r *plan.Rate) *Rate {
		if r == nil {
			return nil
		}
		return &Rate{Average: r.Average, Peak: r.Peak, Burst: r.Burst}
	}
	return &Bandwidth{Inbound: conv(b.Inbound), Outbound: conv(b.Outbound)}
}

func (b *Bandwidth) check() error {
	if b == nil {
		return nil
	}
	for dir, r := range map[string]*Rate{"inbound": b.Inbound, "outbound": b.Outbound} {
		if r != nil && r.Average == 0 {
			return fmt.Errorf("%s bandwidth needs an average rate", dir)
		}
		if r != nil && r.Peak != 0 && r.Peak < r.Average {
			return fmt.Errorf("%s peak %d KiB/s is below the average %d KiB/s", dir, r.Peak, r.Average)
		}
	}
	return nil
}

// netXML is libvirtxml.Network with portgroups that carry <bandwidth> (which libvirt
// accepts and libvirtxml 9.0 does not model). encoding/xml lets the shallower PortGroups
// field win over the embedded one.
type netXML struct {
	libvirtxml.Network
	PortGroups []portGroupXML `xml:"portgroup"`
}

type portGroupXML struct {
	libvirtxml.NetworkPortGroup
	Bandwidth *libvirtxml.NetworkBandwidth `xml:"bandwidth"`
}

// ownerXML is the ownership mark. encoding/xml cannot declare a prefix on its own, so
// the prefixed name and the xmlns attribute are spelled as names here; the mark is read
// back namespace-aware (see owner).
type ownerXML struct {
	XMLName xml.Name `xml:"hostnet:owner"`
	NS      string   `xml:"xmlns:hostnet,attr"`
	Address string   `xml:"plan-address,attr"`
}

// XML is the network's libvirt XML. uuid is the existing network's UUID when
// redefining (libvirt refuses a redefinition under a new UUID), "" for a new network.
func (n *Network) XML(uuid string) (string, error) {
	mark, err := xml.Marshal(ownerXML{NS: Namespace, Address: n.Address})
	if err != nil {
		return "", err
	}
	x := netXML{Network: libvirtxml.Network{
		Name:     n.Name,
		UUID:     uuid,
		Metadata: &libvirtxml.NetworkMetadata{XML: string(mark)},
		Forward:  &libvirtxml.NetworkForward{Mode: "bridge"},
		Bridge:   &libvirtxml.NetworkBridge{Name: n.Bridge},
	}}
	if n.MTU > 0 {
		x.MTU = &libvirtxml.NetworkMTU{Size: uint(n.MTU)}
	}
	x.Bandwidth = n.Bandwidth.toXML()
	for _, pg := range n.PortGroups {
		x.PortGroups = append(x.PortGroups, pg.toXML())
	}
	b, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return "", fmt.Errorf("network %s: %w", n.Name, err)
	}
	return string(b), nil
}

func (pg PortGroup) toXML() portGroupXML {
	x := portGroupXML{NetworkPortGroup: libvirtxml.NetworkPortGroup{Name: pg.Name}, Bandwidth: pg.Bandwidth.toXML()}
	if pg.Default {
		x.Default = "yes"
	}
	return x
}

// portGroupXMLString is one portgroup's XML, for virNetworkUpdate.
func (pg PortGroup) xmlString() (string, error) {
	b, err := xml.Marshal(pg.toXML())
	return string(b), err
}

func (b *Bandwidth) toXML() *libvirtxml.NetworkBandwidth {
	if b == nil {
		return nil
	}
	conv := func(r *Rate) *libvirtxml.NetworkBandwidthParams {
		if r == nil {
			return nil
		}
		p := &libvirtxml.NetworkBandwidthParams{}
		set := func(v uint64) *uint {
			if v == 0 {
				return nil
			}
			u := uint(v)
			return &u
		}
		p.Average, p.Peak, p.Burst = set(r.Average), set(r.Peak), set(r.Burst)
		return p
	}
	return &libvirtxml.NetworkBandwidth{Inbound: conv(b.Inbound), Outbound: conv(b.Outbound)}
}

func bandwidthFromXML(x *libvirtxml.NetworkBandwidth) *Bandwidth {
	if x == nil || (x.Inbound == nil && x.Outbound == nil) {
		return nil
	}
	conv := func(p *libvirtxml.NetworkBandwidthParams) *Rate {
		if p == nil {
			return nil
		}
		get := func(v *uint) uint64 {
			if v == nil {
				return 0
			}
			return uint64(*v)
		}
		return &Rate{Average: get(p.Average), Peak: get(p.Peak), Burst: get(p.Burst)}
	}
	return &Bandwidth{Inbound: conv(x.Inbound), Outbound: conv(x.Outbound)}
}

// parsed is a network read back from libvirt XML.
type parsed struct {
	Network
	UUID  string
	Owned bool // carries hostnet's mark
}

// parseXML reads libvirt's XML of a network. Autostart is not in the XML; the caller
// sets it.
func parseXML(doc string) (parsed, error) {
	var x netXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return parsed{}, fmt.Errorf("libvirt network XML: %w", err)
	}
	p := parsed{Network: Network{Name: x.Name}, UUID: x.UUID}
	if x.Forward != nil {
		p.Forward = x.Forward.Mode
	}
	if x.Bridge != nil {
		p.Bridge = x.Bridge.Name
	}
	if x.MTU != nil {
		p.MTU = int(x.MTU.Size)
	}
	p.Bandwidth = bandwidthFromXML(x.Bandwidth)
	for _, pg := range x.PortGroups {
		p.PortGroups = append(p.PortGroups, PortGroup{Name: pg.Name, Default: pg.Default == "yes", Bandwidth: bandwidthFromXML(pg.Bandwidth)})
	}
	if x.Metadata != nil {
		p.Address, p.Owned = owner(x.Metadata.XML)
	}
	return p, nil
}

// owner finds hostnet's mark among the metadata elements (namespace-aware: any prefix).
func owner(inner string) (address string, ok bool) {
	d := xml.NewDecoder(strings.NewReader("<m>" + inner + "</m>"))
	for {
		t, err := d.Token()
		if err == io.EOF || err != nil {
			return "", false
		}
		if se, isStart := t.(xml.StartElement); isStart && se.Name.Space == Namespace && se.Name.Local == "owner" {
			for _, a := range se.Attr {
				if a.Name.Local == "plan-address" {
					address = a.Value
				}
			}
			return address, true
		}
	}
}

// sortedPortGroups returns pgs sorted by name (libvirt keeps source order; hostnet
// compares sets).
func sortedPortGroups(pgs []PortGroup) []PortGroup {
	out := append([]PortGroup(nil), pgs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
