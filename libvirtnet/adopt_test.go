package libvirtnet

import (
	"errors"
	"testing"
)

func TestDiffAdoptForeign(t *testing.T) {
	const uuid = "0b0e3c4c-7a1d-4f6e-9d1b-5a5e3f1c2d01"
	desired := Network{Name: "lan", Address: "libvirt_network.lan", Bridge: "br0", Forward: "bridge", Autostart: true}
	foreign := func(xml string, autostart, active bool) *State {
		return &State{Networks: []Live{{Network: Network{Name: "lan", Bridge: "br0", Forward: "bridge", Autostart: autostart},
			UUID: uuid, Active: active, Persistent: true, XML: xml}}}
	}
	plain := "<network><name>lan</name><uuid>" + uuid + "</uuid><forward mode='bridge'/><bridge name='br0'/></network>"
	withVLAN := "<network><name>lan</name><uuid>" + uuid + "</uuid><forward mode='bridge'/><bridge name='br0'/>" +
		"<vlan><tag id='42'/></vlan></network>"
	cases := []struct {
		name  string
		st    *State
		adopt bool
	}{
		{"as planned: adopted", foreign(plain, true, true), true},
		{"more than hostnet models (a vlan tag): refused", foreign(withVLAN, true, true), false},
		{"autostart differs: refused", foreign(plain, false, true), false},
		{"not running: refused", foreign(plain, true, false), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch, err := Diff([]Network{desired}, c.st)
			if !c.adopt {
				var fe *ForeignError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a ForeignError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Changes) != 1 || ch.Changes[0].Action != Adopt || !ch.Changes[0].define || ch.Changes[0].RestartNeeded {
				t.Fatalf("changes %+v", ch.Changes)
			}
		})
	}
}
