package importer

import (
	"strconv"
	"strings"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// bondAliases maps the option names of ifupdown2, netplan and nmstate (after lower-casing
// and '-' to '_') that differ from the kernel's sysfs names.
var bondAliases = map[string]string{
	"mii_monitor_interval":    "miimon",
	"transmit_hash_policy":    "xmit_hash_policy",
	"up_delay":                "updelay",
	"down_delay":              "downdelay",
	"arp_ip_targets":          "arp_ip_target",
	"fail_over_mac_policy":    "fail_over_mac",
	"gratuitous_arp":          "num_grat_arp",
	"primary_reselect_policy": "primary_reselect",
	"learn_packet_interval":   "lp_interval",
	"ad_sys_priority":         "ad_actor_sys_prio",
	"ad_sys_mac_addr":         "ad_actor_system",
	"lacp_bypass_allow":       "",
}

// bondOpt records option name = value on bond i, checked against hostnet's bonding table
// so that a bad value is reported here, at its line, and not as an invalid plan later.
func (d *Doc) bondOpt(i *Iface, name, value string, at Origin) {
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
	if a, ok := bondAliases[key]; ok {
		if a == "" {
			d.warnf(at, "bond %s: option %s has no kernel equivalent; not carried over", i.Name, name)
			return
		}
		key = a
	}
	opt, ok := bonding.Lookup(key)
	if !ok {
		d.warnf(at, "bond %s: unknown bonding option %s = %s; not carried over", i.Name, name, value)
		return
	}
	value = strings.TrimSpace(value)
	bo := BondOpt{Name: opt.Name, Origin: at}
	switch opt.Kind {
	case bonding.KindIPv4List, bonding.KindIPv6List:
		bo.List = strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(bo.List) == 0 {
			return
		}
	case bonding.KindUint:
		if _, err := strconv.ParseUint(value, 10, 64); err != nil {
			d.errorf(at, "bond %s: %s = %q is not a number; not carried over", i.Name, name, value)
			return
		}
		bo.Value = value
	case bonding.KindEnum, bonding.KindBool:
		v := value
		switch strings.ToLower(v) {
		case "yes", "on", "true":
			if opt.Kind == bonding.KindBool || len(opt.Enum) == 2 {
				v = "1"
			}
		case "no", "off", "false":
			if opt.Kind == bonding.KindBool || len(opt.Enum) == 2 {
				v = "0"
			}
		}
		if _, err := opt.ParseEnum(v); err != nil {
			d.errorf(at, "bond %s: %s = %q: %v; not carried over", i.Name, name, value, err)
			return
		}
		bo.Value = v
	default: // MAC, slave names
		bo.Value = value
	}
	for k := range i.BondOpts {
		if i.BondOpts[k].Name == bo.Name {
			i.BondOpts[k] = bo // set again later in the input: the later one wins, as in the tools
			return
		}
	}
	i.BondOpts = append(i.BondOpts, bo)
}

// bondOptKind is the kind of a hostnet option name (KindUint for unknown ones).
func bondOptKind(name string) bonding.Kind {
	if o, ok := bonding.Lookup(name); ok {
		return o.Kind
	}
	return bonding.KindUint
}
