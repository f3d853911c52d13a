package jsonout_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/jsonout/schematest"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/safe"
	"github.com/hostnet/hostnet/hostnet/status"
	"github.com/hostnet/hostnet/libvirtnet"
)

func TestValue(t *testing.T) {
	for _, c := range []struct {
		attr, text string
		want       any
	}{
		{"mtu", "9000", int64(9000)},
		{"miimon", "100", int64(100)},
		{"slaves", "[uplink0, uplink1]", []string{"uplink0", "uplink1"}},
		{"arp_ip_target", "[]", []string{}},
		{"master", "(none)", nil},
		{"mac", "(bond MAC)", nil},
		{"address", "", nil},
		{"name", "100", "100"},                // names stay strings
		{"slave.uplink0.prio", "5", int64(5)}, // per-slave attributes by their last part
		{"master", "br100", "br100"},
		{"autostart", "true", true},
		{"mode", "802.3ad", "802.3ad"},
		{"forward_delay", "1.5s", "1.5s"},
		{"use_carrier", "1", int64(1)},
	} {
		if got := jsonout.Value(c.attr, c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Value(%q, %q) = %#v, want %#v", c.attr, c.text, got, c.want)
		}
	}
}

const planSrc = `
nic "uplink0" { mac = "52:54:00:00:0d:01" }
nic "uplink1" { mac = "52:54:00:00:0d:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 200
  mtu    = 9000
}

vlan "tenant" {
  for_each = range(100, 103)
  link     = bond.bond0
  id       = each.value
}
`

// A plan against a live state that has the bond with other options: the document of its
// changes matches the schema and carries typed values.
func TestChangesDocument(t *testing.T) {
	p, diags := plan.Decode([]plan.Input{{Name: "plan.hcl", Bytes: []byte(planSrc)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	up := uint32(unix.IFF_UP)
	m0, _ := net.ParseMAC("52:54:00:00:0d:01")
	m1, _ := net.ParseMAC("52:54:00:00:0d:02")
	var ab bonding.Options
	ab.Set(bonding.OptMode, bonding.Value{Num: uint64(bonding.ActiveBackup)})
	ab.Set(bonding.OptMiimon, bonding.Value{Num: 100})
	var rep [bonding.NumOptions]bool
	for i := range rep {
		rep[i] = true
	}
	rep[bonding.OptActiveSlave], rep[bonding.OptPrimary] = false, false
	s := live.NewState([]*live.Link{
		{Index: 2, Name: "uplink0", Kind: "veth", MAC: m0, MTU: 1500, Flags: up},
		{Index: 3, Name: "uplink1", Kind: "veth", MAC: m1, MTU: 1500, Flags: up},
		{Index: 10, Name: "bond0", Kind: "bond", MAC: m0, MTU: 1500, Flags: up, Alias: live.MarkFor("bond.bond0"),
			Bond: &live.Bond{Options: ab, Reported: rep}, Addrs: []live.Addr{{Prefix: netip.MustParsePrefix("198.51.100.9/24")}}},
	}, nil)
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	doc := jsonout.New("plan", "test")
	doc.Changes = jsonout.ChangesOf(ch, nil, 0, nil)
	doc.ExitCode = 2
	var buf bytes.Buffer
	if err := doc.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got := schematest.Check(t, buf.String())
	if !got.Changes.Changed || got.Changes.Summary.Create != 3 || got.Changes.Libvirt.Checked {
		t.Errorf("changes: %+v", got.Changes)
	}
	attrs := map[string]jsonout.Attribute{}
	for _, r := range got.Changes.Resources {
		for _, a := range r.Attributes {
			attrs[r.Address+" "+a.Name] = a
		}
	}
	// Decoded from JSON: numbers are float64, lists []any, absent values nil.
	checks := map[string][2]any{
		"bond.bond0 miimon":       {float64(100), float64(200)},
		"bond.bond0 mtu":          {float64(1500), float64(9000)},
		"bond.bond0 address":      {"198.51.100.9/24", nil},
		`vlan.tenant["100"] id`:   {nil, float64(100)},
		`vlan.tenant["100"] link`: {nil, "bond0"},
	}
	for key, want := range checks {
		a, ok := attrs[key]
		if !ok {
			t.Errorf("no attribute %s in %v", key, attrs)
			continue
		}
		if !reflect.DeepEqual(a.Old, want[0]) || !reflect.DeepEqual(a.New, want[1]) {
			t.Errorf("%s: %#v → %#v, want %#v → %#v", key, a.Old, a.New, want[0], want[1])
		}
	}
}

// Every document shape the commands print, failures included, matches the schema; and
// the schema refuses what breaks the contract.
func TestSchema(t *testing.T) {
	failed := jsonout.New("apply", "test")
	failed.Fail(jsonout.ErrLocked, errors.New("another apply runs"))
	lv := jsonout.New("destroy", "test")
	lv.Changes = jsonout.ChangesOf(nil, &libvirtnet.Changes{}, 2, nil)
	lv.Result = jsonout.NewResult(nil)
	lv.Result.LibvirtNetworks = append(lv.Result.LibvirtNetworks, jsonout.NetworkResult{Name: "tenant100", Action: "delete"})
	rb := jsonout.New("rollback", "test")
	rb.Rollback = jsonout.RollbackOf(nil, nil)
	rb.Rollback.Snapshot.Taken = rb.Rollback.Snapshot.Taken.UTC()
	restored := jsonout.New("status", "test")
	restored.Status = jsonout.StatusOf(&status.Report{Bonds: []status.Bond{}, Bridges: []status.Bridge{}, VLANs: []status.VLAN{}}, nil)
	restored.Status.LastRestore = jsonout.LastRestoreOf(&safe.RestoreRecord{Time: time.Now().UTC(), Trigger: safe.TriggerWatchdog,
		Reason: "the deadline passed", Command: "apply plan.hcl", Residual: []string{"br0: mtu 9000, want 1500"}, Error: "EBUSY"}, nil)
	untrusted := jsonout.New("status", "test")
	untrusted.Status = jsonout.StatusOf(&status.Report{Bonds: []status.Bond{}, Bridges: []status.Bridge{}, VLANs: []status.VLAN{}}, nil)
	untrusted.Status.LastRestore = jsonout.LastRestoreOf(nil, &safe.UntrustedError{Path: "/run/hostnet/last-restore.json", Why: "it is a symbolic link"})
	for name, d := range map[string]*jsonout.Document{"failed": failed, "destroy": lv, "rollback": rb,
		"status with a restore": restored, "status with an untrusted restore record": untrusted} {
		var buf bytes.Buffer
		if err := d.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if err := schematest.Validate(buf.Bytes()); err != nil {
			t.Errorf("%s: %v\n%s", name, err, buf.String())
		}
	}
	bad := map[string]string{
		"no version":           `{"command":"plan","hostnet_version":"x","exit_code":0,"error":null,"diagnostics":[],"changes":{}}`,
		"error with exit 0":    `{"format_version":"1.0","command":"status","hostnet_version":"x","exit_code":0,"error":{"kind":"error","message":"m"},"diagnostics":[]}`,
		"plan without changes": `{"format_version":"1.0","command":"plan","hostnet_version":"x","exit_code":0,"error":null,"diagnostics":[]}`,
		"exit 1 without error": `{"format_version":"1.0","command":"plan","hostnet_version":"x","exit_code":1,"error":null,"diagnostics":[]}`,
		"two documents":        `{"format_version":"1.0","command":"validate","hostnet_version":"x","exit_code":0,"error":null,"diagnostics":[],"plans":[]} {}`,
	}
	for name, doc := range bad {
		if err := schematest.Validate([]byte(doc)); err == nil {
			t.Errorf("%s: the schema accepts %s", name, doc)
		}
	}
	// The text placeholders of the plan view are not values.
	var v map[string]any
	_ = json.Unmarshal([]byte(`{"name":"master","old":"(none)","new":"br0","needs":null,"restart":false}`), &v)
	withPlaceholder := jsonout.New("plan", "test")
	withPlaceholder.Changes = jsonout.ChangesOf(nil, nil, 0, nil)
	var buf bytes.Buffer
	_ = withPlaceholder.Write(&buf)
	var raw map[string]any
	_ = json.Unmarshal(buf.Bytes(), &raw)
	raw["changes"].(map[string]any)["resources"] = []any{map[string]any{"address": "nic.a", "layer": "kernel", "kind": "nic", "name": "a",
		"action": "update", "attributes": []any{v}, "flaps": []any{}, "reason": nil, "guests": []any{}}}
	b, _ := json.Marshal(raw)
	if err := schematest.Validate(b); err == nil {
		t.Errorf("the schema accepts \"(none)\" as a value")
	}
}
