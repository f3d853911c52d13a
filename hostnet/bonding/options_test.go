package bonding

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The table is the single source of the option facts: every entry must be complete and
// consistent, or decoding, validation and the netlink encoder disagree.
func TestTableComplete(t *testing.T) {
	attrs := map[uint16]string{}
	for id := ID(0); id < NumOptions; id++ {
		o := &Table[id]
		if o.ID != id || o.Name == "" || o.Modes == 0 || o.Attr == 0 {
			t.Errorf("option %d incomplete: %+v", id, o)
		}
		if prev, dup := attrs[o.Attr]; dup {
			t.Errorf("%s and %s share attribute %d", prev, o.Name, o.Attr)
		}
		attrs[o.Attr] = o.Name
		switch o.Kind {
		case KindEnum, KindBool, KindUint:
			if o.Size != 1 && o.Size != 2 && o.Size != 4 {
				t.Errorf("%s: numeric option with size %d", o.Name, o.Size)
			}
			if o.Kind == KindEnum && (o.Default >= uint64(len(o.Enum)) || o.Enum[o.Default] == "") {
				t.Errorf("%s: default %d is not a value", o.Name, o.Default)
			}
			if o.Kind == KindUint && o.Max != 0 && (o.Default < o.Min || o.Default > o.Max) {
				t.Errorf("%s: default %d outside %d..%d", o.Name, o.Default, o.Min, o.Max)
			}
		}
		if got, ok := Lookup(o.Name); !ok || got.ID != id {
			t.Errorf("Lookup(%q) = %v, %v", o.Name, got, ok)
		}
	}
	if o, ok := Lookup("num_unsol_na"); !ok || o.ID != OptNumPeerNotif {
		t.Error("num_unsol_na is an alias of num_grat_arp")
	}
	if Table[OptMode].Attr != unix.IFLA_BOND_MODE || Table[OptCoupledControl].Attr != unix.IFLA_BOND_COUPLED_CONTROL {
		t.Error("attribute numbers do not follow x/sys/unix")
	}
}

// Values are accepted as modprobe and sysfs accept them: a name or its number.
func TestParseEnum(t *testing.T) {
	tests := []struct {
		opt  ID
		in   string
		want uint64
		ok   bool
	}{
		{OptMode, "balance-rr", 0, true},
		{OptMode, "802.3ad", 4, true},
		{OptMode, "6", 6, true},
		{OptMode, "7", 0, false},
		{OptMode, "round-robin", 0, false},
		{OptLACPRate, "fast", 1, true},
		{OptLACPRate, "1", 1, true},
		{OptXmitHashPolicy, "vlan+srcmac", 5, true},
		{OptUseCarrier, "0", 0, true},
		{OptUseCarrier, "2", 0, false},
		{OptArpValidate, " filter_active ", 5, true},
	}
	for _, tt := range tests {
		got, err := Table[tt.opt].ParseEnum(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("%s = %q: got %d, %v; want %d, ok %v", Table[tt.opt].Name, tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// The kernel forces miimon to 100 in modes without ARP monitoring.
func TestDefaults(t *testing.T) {
	for m := BalanceRR; m <= BalanceALB; m++ {
		want := uint64(0)
		if !m.UsesARP() {
			want = 100
		}
		if got := DefaultFor(OptMiimon, m); got != want {
			t.Errorf("miimon default in %s = %d, want %d", m, got, want)
		}
	}
	var o Options
	if o.Mode() != BalanceRR || o.Num(OptResendIGMP) != 1 || o.IsSet(OptResendIGMP) {
		t.Errorf("zero Options: mode %s resend_igmp %d", o.Mode(), o.Num(OptResendIGMP))
	}
	o.Set(OptMode, Value{Num: uint64(LACP)})
	if o.Num(OptMiimon) != 100 || !o.Applies(OptLACPRate) || o.Applies(OptArpInterval) {
		t.Error("802.3ad defaults and applicability")
	}
	if !Modes(ActiveBackup, BalanceTLB).Has(BalanceTLB) || Modes(ActiveBackup).Has(LACP) {
		t.Error("ModeSet")
	}
}
