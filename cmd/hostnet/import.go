package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/importer"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/libvirtnet"
)

// importedFile is the plan file `import -o DIR` writes.
const importedFile = "imported.hcl"

func newImportCmd() *cobra.Command {
	var outDir string
	var macs, slaves []string
	var noLive bool
	var libvirtURI string
	cmd := &cobra.Command{
		Use:   "import FORMAT [FILES...]",
		Short: "Turn an existing network configuration into a plan",
		Long: `Import reads the network configuration a host already has and writes the equivalent
plan (HCL) to stdout, or to DIR/` + importedFile + ` with -o DIR. Formats:

  interfaces   Debian /etc/network/interfaces (ifupdown, ifupdown2, Proxmox), source directives followed
  ifcfg        RHEL/CentOS/oVirt network-scripts ifcfg-* files
  modprobe     modprobe.d bonding lines (alias bond0 bonding, options bond0 mode=... miimon=...)
  netplan      netplan YAML
  nmstate      nmstate YAML (interfaces and routes)
  live         the running kernel (no files): bonds, bridges, VLANs, the NICs under them
               by permanent MAC, addresses and routes; and libvirt's bridge networks on them

Every setting a plan can express is carried over; every other one is printed on stderr as
file:line: warning: ... and listed again at the end of the plan, and a comment above each
block says where it came from. NICs that the files name without a MAC are looked up in the
running kernel by name (their permanent MAC), unless --no-live-macs; --mac NAME=MAC gives
one by hand. The written plan is validated as 'hostnet validate' would. Exit code 1 when an
input could not be read or parsed, or the plan does not validate (it is written anyway, for
review).

Applying the imported plan on the host it came from adopts the existing links: plan shows
"= adopt" and apply writes only hostnet's mark, with no link going down.`,
		Example: `  hostnet import interfaces /etc/network/interfaces -o /etc/hostnet
  hostnet import ifcfg /etc/sysconfig/network-scripts/ifcfg-* > plan.hcl
  hostnet import netplan /etc/netplan/*.yaml
  hostnet import modprobe /etc/modprobe.d/bonding.conf --slaves bond0=eth0,eth1
  hostnet import live -o /etc/hostnet && hostnet plan /etc/hostnet`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, files := args[0], args[1:]
			errw := cmd.ErrOrStderr()
			given := map[string]net.HardwareAddr{}
			for _, m := range macs {
				name, mac, ok := strings.Cut(m, "=")
				hw, err := net.ParseMAC(mac)
				if !ok || err != nil {
					return withCode(exitError, fmt.Errorf("--mac %q: want NAME=MAC", m))
				}
				given[name] = hw
			}
			var s *live.State
			if format == "live" || !noLive {
				var err error
				// The bridge VLAN dump: a live import carries VLAN-aware bridges' membership over.
				if s, err = live.ReadWith(netns.None(), importer.LiveReadOptions); err != nil {
					err = fmt.Errorf("reading the live network state: %w", err)
					if format == "live" {
						return withCode(exitError, err)
					}
					fmt.Fprintf(errw, "note: %v; NIC MACs not looked up\n", err)
				}
			}
			bondSlaves := map[string][]string{}
			for _, sl := range slaves {
				bond, list, ok := strings.Cut(sl, "=")
				if !ok || bond == "" || list == "" {
					return withCode(exitError, fmt.Errorf("--slaves %q: want BOND=NIC,NIC", sl))
				}
				bondSlaves[bond] = strings.Split(list, ",")
			}
			opts := importer.Options{Slaves: bondSlaves, MAC: func(name string) net.HardwareAddr {
				if m, ok := given[name]; ok {
					return m
				}
				if s == nil {
					return nil
				}
				return permMAC(s, name)
			}}
			var doc *importer.Doc
			if format == "live" {
				if len(files) > 0 {
					return withCode(exitError, fmt.Errorf("import live reads the running kernel, not files"))
				}
				doc = importer.ImportLive(s, opts)
				if libvirtURI != "" {
					nets, err := liveNetworks(libvirtURI)
					if err != nil {
						fmt.Fprintf(errw, "note: %v: libvirt networks not imported\n", err)
					}
					doc.AddLibvirt(nets)
				}
			} else {
				var err error
				if doc, err = importer.ImportFiles(format, files, opts); err != nil {
					return withCode(exitError, err)
				}
			}
			src := doc.HCL()
			doc.WriteDiags(errw)
			name := "(stdout)"
			if outDir != "" {
				if err := os.MkdirAll(outDir, 0o755); err != nil {
					return withCode(exitError, err)
				}
				name = filepath.Join(outDir, importedFile)
				if err := os.WriteFile(name, src, 0o644); err != nil {
					return withCode(exitError, err)
				}
			} else if _, err := cmd.OutOrStdout().Write(src); err != nil {
				return err
			}
			_, files2, diags := importer.Check(name, src, nil)
			if len(diags) > 0 {
				if err := diag.WriteText(errw, files2, diags, 100); err != nil {
					return err
				}
			}
			switch {
			case doc.HasErrors():
				return withCode(exitError, fmt.Errorf("import %s: some input could not be read or parsed (see above); the plan lacks it", format))
			case diags.HasErrors():
				return withCode(exitError, fmt.Errorf("import %s: the imported plan does not validate: %s", format, diag.Summary(diags)))
			}
			if outDir != "" {
				fmt.Fprintf(errw, "wrote %s (%d interfaces, %d settings not carried over)\n", name, len(doc.Ifaces), len(doc.Diags))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&outDir, "out", "o", "", "write DIR/"+importedFile+" instead of stdout")
	cmd.Flags().StringArrayVar(&macs, "mac", nil, "NAME=MAC: the MAC of a NIC the files name without one (repeatable)")
	cmd.Flags().StringArrayVar(&slaves, "slaves", nil, "BOND=NIC,NIC: the slaves of a bond that modprobe options name without them (repeatable)")
	cmd.Flags().StringVar(&libvirtURI, "libvirt-uri", libvirtnet.DefaultURI, "import live: the libvirt daemon whose bridge networks to import (\"\" for none)")
	cmd.Flags().BoolVar(&noLive, "no-live-macs", false, "do not look NIC MACs up in the running kernel")
	return cmd
}

// permMAC is the MAC a plan finds NIC name by: its permanent one (kept by a bond slave).
func permMAC(s *live.State, name string) net.HardwareAddr {
	l := s.Link(name)
	if l == nil {
		return nil
	}
	if l.BondSlave != nil && len(l.BondSlave.PermMAC) > 0 {
		return l.BondSlave.PermMAC
	}
	if len(l.PermMAC) > 0 {
		return l.PermMAC
	}
	return l.MAC
}

// liveNetworks reads libvirt's networks for the live import.
func liveNetworks(uri string) ([]importer.LibvirtNetwork, error) {
	conn, err := libvirtnet.Connect(uri)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st, err := conn.Read()
	if err != nil {
		return nil, err
	}
	var out []importer.LibvirtNetwork
	for _, n := range st.Networks {
		ln := importer.LibvirtNetwork{Name: n.Name, Forward: n.Forward, Bridge: n.Bridge, Autostart: n.Autostart,
			Active: n.Active, MTU: n.MTU}
		var extra []string
		if n.Bandwidth != nil {
			extra = append(extra, "bandwidth")
		}
		if len(n.PortGroups) > 0 {
			extra = append(extra, "portgroups")
		}
		ln.Extra = strings.Join(extra, " and ")
		out = append(out, ln)
	}
	return out, nil
}
