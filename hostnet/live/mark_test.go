package live

import (
	"strings"
	"testing"
)

// A mark verifies only with the key that wrote it; an alias that merely looks like a mark
// (the old unkeyed format, a copied mark with another address, a tampered tag) does not.
func TestMarkVerifies(t *testing.T) {
	SetMarkKey([]byte("key one"))
	good := MarkFor(`vlan.tenant["100"]`)
	copied := MarkFor("bridge.br0")
	tests := []struct {
		name, alias, addr string
		ok                bool
	}{
		{"own mark", good, `vlan.tenant["100"]`, true},
		{"unkeyed old format", `hostnet:vlan.tenant["100"]`, "", false},
		{"user alias with the prefix", "hostnet: my bridge", "", false},
		{"tag of another address", "hostnet:bridge.br1" + copied[strings.LastIndex(copied, " #"):], "", false},
		{"tampered tag", good[:len(good)-1] + "0", "", false},
		{"no prefix", "uplink to rack 3", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, ok := ParseMark(tt.alias)
			if ok != tt.ok || addr != tt.addr {
				t.Errorf("ParseMark(%q) = %q, %v; want %q, %v", tt.alias, addr, ok, tt.addr, tt.ok)
			}
		})
	}
	SetMarkKey([]byte("key two"))
	if _, ok := ParseMark(good); ok {
		t.Error("a mark written with another key verifies")
	}
	if len(MarkFor(`vlan.tenant["100"]`)) != len(good) {
		t.Error("mark length depends on the key")
	}
}
