package bonding

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// Value is one option's value; which field is used depends on the option's Kind.
type Value struct {
	Num   uint64           // KindEnum, KindUint, KindBool
	Addrs []netip.Addr     // KindIPv4List, KindIPv6List
	MAC   net.HardwareAddr // KindMAC; nil = kernel default (the bond's MAC)
	Iface string           // KindIface: kernel name of the slave; "" = none
}

// Equal compares two values of the same option.
func (v Value) Equal(w Value) bool {
	return v.Num == w.Num && slices.Equal(v.Addrs, w.Addrs) && bytes.Equal(v.MAC, w.MAC) && v.Iface == w.Iface
}

// Format renders the value of option id for people.
func (v Value) Format(id ID) string {
	o := &Table[id]
	switch o.Kind {
	case KindIPv4List, KindIPv6List:
		s := make([]string, len(v.Addrs))
		for i, a := range v.Addrs {
			s[i] = a.String()
		}
		return "[" + strings.Join(s, ", ") + "]"
	case KindMAC:
		if v.MAC == nil {
			return "(bond MAC)"
		}
		return v.MAC.String()
	case KindIface:
		if v.Iface == "" {
			return "(none)"
		}
		return v.Iface
	}
	return o.Format(v.Num)
}

// Options is a bond's full option set: what the plan set, and the kernel default for the
// rest, so that later stages compare and apply complete, explicit values.
type Options struct {
	vals [NumOptions]Value
	set  [NumOptions]bool
}

// Set records a value the plan (or the live kernel) gives explicitly.
func (o *Options) Set(id ID, v Value) {
	o.vals[id] = v
	o.set[id] = true
}

// IsSet reports whether the option was given explicitly.
func (o *Options) IsSet(id ID) bool { return o.set[id] }

// Mode is the bond's mode (balance-rr unless set).
func (o *Options) Mode() Mode { return Mode(o.vals[OptMode].Num) }

// Get returns the explicit value or the kernel's default for the bond's mode.
func (o *Options) Get(id ID) Value {
	if o.set[id] {
		return o.vals[id]
	}
	return Value{Num: DefaultFor(id, o.Mode())}
}

// Num is Get(id).Num.
func (o *Options) Num(id ID) uint64 { return o.Get(id).Num }

// Applies reports whether option id has an effect in the bond's mode.
func (o *Options) Applies(id ID) bool { return Table[id].Modes.Has(o.Mode()) }

// SetIDs lists the options given explicitly, in table order.
func (o *Options) SetIDs() []ID {
	var ids []ID
	for id := ID(0); id < NumOptions; id++ {
		if o.set[id] {
			ids = append(ids, id)
		}
	}
	return ids
}
