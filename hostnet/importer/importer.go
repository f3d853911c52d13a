// Package importer turns the network configuration a host already has into a hostnet plan
// (HCL): Debian /etc/network/interfaces (ifupdown, ifupdown2, Proxmox), RHEL ifcfg files,
// modprobe bonding options, netplan and nmstate YAML, and the live kernel. One file per
// format parses into the format-neutral Doc of this file; write.go renders a Doc as HCL.
//
// Nothing is dropped silently: every setting a plan cannot express becomes a Diag with the
// file and line it came from, and the plan carries a comment per block saying where the
// block came from. Inputs are bounded (Limits): a hostile or broken file gets a diagnostic,
// never unbounded memory.
package importer

import (
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
)

// Formats lists the formats Import understands, as the CLI names them.
var Formats = []string{"interfaces", "ifcfg", "modprobe", "netplan", "nmstate", "live"}

// Limits bound what untrusted input can make the importer hold.
type Limits struct {
	FileBytes  int64 // per file
	Files      int   // files read in all (source directives included)
	Interfaces int   // interfaces in the resulting plan
	Diags      int   // diagnostics kept (one more says how many were left out)
}

// DefaultLimits are far above any real host (4094 VLANs and their bridges fit).
var DefaultLimits = Limits{FileBytes: 4 << 20, Files: 1024, Interfaces: 20000, Diags: 1000}

// Severity of a diagnostic.
type Severity string

// Severities: an error means the input could not be read or parsed (that part is missing
// from the plan); a warning means a setting that the plan does not carry over.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Origin is where something came from.
type Origin struct {
	File string
	Line int // 1-based; 0 = the whole file
}

func (o Origin) String() string {
	if o.Line == 0 {
		return o.File
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}

// Diag is one thing the importer could not carry over, with where it came from.
type Diag struct {
	Origin
	Severity Severity
	Message  string
}

func (d Diag) String() string { return fmt.Sprintf("%s: %s: %s", d.Origin, d.Severity, d.Message) }

// Kind of an imported interface; "" until the input says (a name only referenced, as a bond
// slave or a bridge port, ends up a NIC).
type Kind string

// Kinds, as plan block types.
const (
	NIC    Kind = "nic"
	Bond   Kind = "bond"
	VLAN   Kind = "vlan"
	Bridge Kind = "bridge"
)

// BondOpt is one bonding option by its hostnet (modprobe/sysfs) name, with its value as
// text (or a list for the address options) and where it was set.
type BondOpt struct {
	Name   string
	Value  string
	List   []string
	Origin Origin
}

// Iface is one interface of the imported configuration.
type Iface struct {
	Kind    Kind
	Name    string // kernel name
	Origins []Origin
	MAC     string // NIC: the MAC it is found by; others: a fixed MAC
	MTU     int
	Addrs   []string // prefixes
	Gateway string

	Slaves   []string // bond
	BondOpts []BondOpt

	Link     string // vlan
	ID       int
	Protocol string

	Ports         []string // bridge
	STP           *bool
	ForwardDelay  *int
	AgeingTime    *int
	VLANFiltering *bool
	McastSnooping *bool
	// PortVLANs is the membership of the ports of a VLAN-aware bridge, by port name (a
	// port block each); SelfVLANs the bridge's own, nil = as the kernel makes it.
	PortVLANs map[string]*Membership
	SelfVLANs *Membership

	ifVLANs *ifupdownVLANs // interfaces: bridge-vids, bridge-pvid, bridge-access as written
}

// Route is a static route.
type Route struct {
	To, Via, Dev string
	Metric       int
	Table        int
	Origin       Origin
}

// LibvirtNetwork is a libvirt network as the live import finds it.
type LibvirtNetwork struct {
	Name, Forward, Bridge string
	Autostart, Active     bool
	MTU                   int
	// Extra names what the network has beyond forward mode, bridge, autostart and MTU
	// (portgroups, bandwidth); such a network is reported, not imported.
	Extra string
}

// AddLibvirt adds the libvirt networks that forward to a bridge of the import
// (<forward mode='bridge'/>, what a plan's libvirt_network is); every other one is
// reported.
func (d *Doc) AddLibvirt(nets []LibvirtNetwork) {
	for _, n := range nets {
		at := Origin{File: "libvirt network " + n.Name}
		br := d.byName[n.Bridge]
		switch {
		case n.Forward != "bridge":
			d.warnf(at, "forward mode %q: not carried over (a plan's libvirt networks forward to a host bridge)", n.Forward)
		case br == nil || br.Kind != Bridge:
			d.warnf(at, "on %s, which is not a bridge of this import: not carried over", n.Bridge)
		case n.Extra != "":
			d.warnf(at, "has %s: not carried over (import them by hand)", n.Extra)
		case !n.Active:
			d.warnf(at, "not running: not carried over (a plan's networks run)")
		default:
			d.Networks = append(d.Networks, n)
		}
	}
}

// Doc is an imported configuration: interfaces in the order the input defined them, routes,
// and the diagnostics.
type Doc struct {
	Format  string
	Sources []string
	Ifaces  []*Iface
	Routes  []Route
	Diags   []Diag
	// Networks are the libvirt networks of the live import (AddLibvirt).
	Networks []LibvirtNetwork

	byName      map[string]*Iface
	switchBlock string // inferred by finish (inferSwitch)
	limits      Limits
	dropped     int
	full        bool
}

func newDoc(format string, l Limits) *Doc {
	return &Doc{Format: format, byName: map[string]*Iface{}, limits: l}
}

// maxOrigins bounds the places kept per interface (for the comment above its block).
const maxOrigins = 8

// iface returns the interface called name, adding it (in input order) the first time.
// Past Limits.Interfaces it returns a throwaway one, and says so once.
func (d *Doc) iface(name string, at Origin) *Iface {
	if i, ok := d.byName[name]; ok {
		if at.File != "" && len(i.Origins) < maxOrigins && !hasOrigin(i.Origins, at) {
			i.Origins = append(i.Origins, at)
		}
		return i
	}
	i := &Iface{Name: name}
	if at.File != "" {
		i.Origins = []Origin{at}
	}
	if len(d.Ifaces) >= d.limits.Interfaces {
		if !d.full {
			d.full = true
			d.errorf(at, "more than %d interfaces: the rest are left out", d.limits.Interfaces)
		}
		return i
	}
	d.byName[name] = i
	d.Ifaces = append(d.Ifaces, i)
	return i
}

func hasOrigin(os []Origin, o Origin) bool {
	for _, x := range os {
		if x == o {
			return true
		}
	}
	return false
}

// setKind gives i its kind; a second, different kind is a diagnostic.
func (d *Doc) setKind(i *Iface, k Kind, at Origin) {
	if i.Kind == "" || i.Kind == k {
		i.Kind = k
		return
	}
	d.errorf(at, "%s is a %s here but a %s elsewhere; kept as a %s", i.Name, k, i.Kind, i.Kind)
}

func (d *Doc) add(at Origin, sev Severity, format string, args ...any) {
	if len(d.Diags) >= d.limits.Diags {
		d.dropped++
		return
	}
	d.Diags = append(d.Diags, Diag{Origin: at, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

func (d *Doc) errorf(at Origin, format string, args ...any) { d.add(at, Error, format, args...) }

// warnf records a setting the plan does not carry over.
func (d *Doc) warnf(at Origin, format string, args ...any) { d.add(at, Warning, format, args...) }

// HasErrors reports whether some input could not be read or parsed.
func (d *Doc) HasErrors() bool {
	for _, x := range d.Diags {
		if x.Severity == Error {
			return true
		}
	}
	return false
}

// WriteDiags prints the diagnostics, one a line, file:line first.
func (d *Doc) WriteDiags(w io.Writer) {
	for _, x := range d.Diags {
		fmt.Fprintln(w, x)
	}
	if d.dropped > 0 {
		fmt.Fprintf(w, "... and %d more diagnostics\n", d.dropped)
	}
}

// Options of an import.
type Options struct {
	Limits Limits
	// MAC finds the MAC address of a NIC the input names without one (ifupdown files name
	// NICs only by kernel name): on the host being imported, its permanent MAC. Nil, or a
	// nil result, leaves a variable in the plan for the operator to set.
	MAC func(name string) net.HardwareAddr
	// Slaves names the slaves of bonds whose files do not (modprobe options): bond -> NICs.
	Slaves map[string][]string
}

// reader reads input files within the limits, counting them.
type reader struct {
	d     *Doc
	files int
}

// read returns a file's contents, or nil after a diagnostic.
func (r *reader) read(path string, from Origin) []byte {
	r.files++
	if r.files > r.d.limits.Files {
		if r.files == r.d.limits.Files+1 {
			r.d.errorf(from, "more than %d files: %s and later ones are not read", r.d.limits.Files, path)
		}
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		r.d.errorf(from, "cannot read %s: %v", path, err)
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, r.d.limits.FileBytes+1))
	if err != nil {
		r.d.errorf(from, "cannot read %s: %v", path, err)
		return nil
	}
	if int64(len(b)) > r.d.limits.FileBytes {
		r.d.errorf(Origin{File: path}, "larger than %d bytes: not read", r.d.limits.FileBytes)
		return nil
	}
	r.d.Sources = append(r.d.Sources, path)
	return b
}

// ImportFiles parses files of the given format (every format but live) into a Doc.
func ImportFiles(format string, files []string, opts Options) (*Doc, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	d := newDoc(format, opts.Limits)
	r := &reader{d: d}
	parse := parser(format, r, opts, 0)
	if parse == nil {
		return nil, fmt.Errorf("unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: name the files to import", format)
	}
	if format == "netplan" {
		// netplan reads its files in lexical order of their names, later ones overriding.
		files = append([]string(nil), files...)
		sort.SliceStable(files, func(i, j int) bool { return baseName(files[i]) < baseName(files[j]) })
	}
	for _, f := range files {
		if b := r.read(f, Origin{File: f}); b != nil {
			parse(f, b)
		}
	}
	d.finish(opts)
	return d, nil
}

// parser returns the parser of a file format (nil for an unknown one). sourceDepth starts
// the interfaces parser's count of nested source directives.
func parser(format string, r *reader, opts Options, sourceDepth int) func(path string, b []byte) {
	d := r.d
	switch format {
	case "interfaces":
		return func(path string, b []byte) { parseInterfaces(r, path, b, sourceDepth) }
	case "ifcfg":
		return func(path string, b []byte) { parseIfcfg(d, path, b) }
	case "modprobe":
		return func(path string, b []byte) { parseModprobe(d, path, b, opts.Slaves) }
	case "netplan":
		return func(path string, b []byte) { parseNetplan(d, path, b) }
	case "nmstate":
		return func(path string, b []byte) { parseNmstate(d, path, b) }
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// finish turns names only referenced into NICs, fills in MACs, and checks references.
func (d *Doc) finish(opts Options) {
	for _, i := range d.Ifaces {
		// A name only referenced (a bridge port "bond0.100" without its own stanza) that
		// follows the <link>.<id> convention on a known link is that VLAN, as ifupdown makes it.
		if m := vlanName(i.Name); i.Kind == "" && m.ok && m.link != "" && d.byName[m.link] != nil {
			i.Kind, i.Link, i.ID = VLAN, m.link, m.id
		}
	}
	for _, i := range d.Ifaces {
		if i.Kind == "" {
			i.Kind = NIC
		}
	}
	for _, i := range d.Ifaces {
		at := Origin{}
		if len(i.Origins) > 0 {
			at = i.Origins[0]
		}
		if i.Kind == NIC && i.MAC == "" && opts.MAC != nil {
			if m := opts.MAC(i.Name); m != nil {
				i.MAC = m.String()
			}
		}
		for _, s := range i.Slaves {
			if x := d.byName[s]; x != nil && x.Kind != NIC {
				d.errorf(at, "bond %s has slave %s, a %s: a plan bonds only NICs", i.Name, s, x.Kind)
			}
		}
		for n, a := range i.Addrs {
			if ip, ok := strings.CutSuffix(a, "/?"); ok {
				bits := 32
				if strings.Contains(ip, ":") {
					bits = 128
				}
				i.Addrs[n] = ip + "/" + fmt.Sprint(bits)
				d.warnf(at, "%s: address %s has no prefix length or netmask: taken as /%d", i.Name, ip, bits)
			}
		}
		if i.Kind == VLAN && i.Link == "" {
			d.errorf(at, "VLAN %s: no lower device (vlan-raw-device, PHYSDEV, link)", i.Name)
		}
	}
	d.resolveIfupdownVLANs()
	d.switchBlock = d.inferSwitch()
}
