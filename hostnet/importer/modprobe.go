package importer

import "strings"

// parseModprobe reads modprobe.d lines for the bonding driver, as the old how-tos write
// them: `alias bond0 bonding` names a bond, `options bond0 mode=... miimon=...` (or
// `options bonding ...`, which sets the options of the bonds the module creates) sets its
// options. The slaves are not in these files (ifenslave added them at boot): bonds come
// out without slaves, with a diagnostic, unless the caller names them (--slaves).
func parseModprobe(d *Doc, path string, b []byte, slaves map[string][]string) {
	var moduleOpts [][]string
	var moduleAt []Origin
	var aliased []*Iface
	for _, ln := range logicalLines(b) {
		at := Origin{path, ln.n}
		f := strings.Fields(ln.text)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "alias" && len(f) == 3 && f[2] == "bonding":
			i := d.iface(f[1], at)
			d.setKind(i, Bond, at)
			aliased = append(aliased, i)
		case f[0] == "options" && len(f) >= 2:
			if f[1] == "bonding" {
				moduleOpts = append(moduleOpts, f[2:])
				moduleAt = append(moduleAt, at)
				continue
			}
			i := d.iface(f[1], at)
			d.setKind(i, Bond, at)
			modprobeOpts(d, i, f[2:], at)
		case f[0] == "install" || f[0] == "remove" || f[0] == "softdep" || f[0] == "blacklist" || f[0] == "alias":
			d.warnf(at, "%s: not carried over (hostnet runs no commands and never loads or unloads modules by plan)", clip(ln.text))
		default:
			d.errorf(at, "not a modprobe.d line: %q", clip(ln.text))
		}
	}
	for k, opts := range moduleOpts {
		targets := aliased
		if len(targets) == 0 {
			i := d.iface("bond0", moduleAt[k]) // the bonding module creates bond0 by default
			d.setKind(i, Bond, moduleAt[k])
			targets = []*Iface{i}
		}
		for _, i := range targets {
			modprobeOpts(d, i, opts, moduleAt[k])
		}
	}
	for _, i := range d.Ifaces {
		if i.Kind == Bond && len(i.Slaves) == 0 {
			at := Origin{File: path}
			if len(i.Origins) > 0 {
				at = i.Origins[0]
			}
			if s := slaves[i.Name]; len(s) > 0 {
				for _, n := range s {
					i.Slaves = appendUnique(i.Slaves, n)
					d.setKind(d.iface(n, at), NIC, at)
				}
				d.warnf(at, "bond %s: slaves %s from --slaves (modprobe options do not name them)", i.Name, strings.Join(s, " "))
				continue
			}
			d.warnf(at, "bond %s: modprobe options do not name its slaves; add them to slaves in the plan (nic blocks with their MACs)", i.Name)
		}
	}
}

func modprobeOpts(d *Doc, i *Iface, opts []string, at Origin) {
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			d.errorf(at, "%s: %q is not option=value", i.Name, o)
			continue
		}
		switch k {
		case "max_bonds", "tx_queues":
			d.warnf(at, "%s: module parameter %s=%s: not carried over (hostnet creates the bonds of the plan over netlink)", i.Name, k, v)
			continue
		}
		d.bondOpt(i, k, v, at)
	}
}
