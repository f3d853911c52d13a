package watch

import (
	"net"
	"testing"
)

// A port flooding the FDB with made-up MACs does not starve the others: with a budget of
// the first n announcements, every port is served before any port gets a second turn.
func TestFairShare(t *testing.T) {
	mac := func(b byte) net.HardwareAddr { return net.HardwareAddr{0x52, 0x54, 0, 0, 0, b} }
	var cands []portCandidate
	for i := 0; i < 50; i++ { // port 7 floods
		cands = append(cands, portCandidate{port: 7, a: announcement{mac: mac(byte(100 + i))}})
	}
	cands = append(cands, portCandidate{port: 8, a: announcement{mac: mac(1)}},
		portCandidate{port: 9, a: announcement{mac: mac(2)}}, portCandidate{port: 8, a: announcement{mac: mac(3)}})
	got := fairShare(cands)
	if len(got) != len(cands) {
		t.Fatalf("%d announcements, want %d", len(got), len(cands))
	}
	first := map[string]bool{}
	for _, a := range got[:5] {
		first[a.mac.String()] = true
	}
	for _, m := range []byte{1, 2, 3} {
		if !first[mac(m).String()] {
			t.Errorf("real guest %s not among the first 5 announcements: %v", mac(m), got[:5])
		}
	}
}
