package watch

import (
	"encoding/hex"
	"net"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFrames pins the bytes of the learning frames, tagged and not.
func TestFrames(t *testing.T) {
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	ip := net.ParseIP("198.51.100.30")
	pad := strings.Repeat("00", 60-14-28)
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"rarp", rarpFrame(mac, 0), `ffffffffffff 525400123456 8035
			0001 0800 06 04 0003 525400123456 00000000 525400123456 00000000` + pad},
		{"rarp vlan 100", rarpFrame(mac, 100), `ffffffffffff 525400123456 8100 0064 8035
			0001 0800 06 04 0003 525400123456 00000000 525400123456 00000000` + pad},
		{"rarp vlan 4094", rarpFrame(mac, 4094), `ffffffffffff 525400123456 8100 0ffe 8035
			0001 0800 06 04 0003 525400123456 00000000 525400123456 00000000` + pad},
		{"garp", garpFrame(mac, ip, 0), `ffffffffffff 525400123456 0806
			0001 0800 06 04 0001 525400123456 c633641e 000000000000 c633641e` + pad},
		{"garp vlan 7", garpFrame(mac, ip, 7), `ffffffffffff 525400123456 8100 0007 0806
			0001 0800 06 04 0001 525400123456 c633641e 000000000000 c633641e` + pad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.want)
			if hex.EncodeToString(tc.got) != hex.EncodeToString(want) {
				t.Errorf("\ngot  %x\nwant %x", tc.got, want)
			}
		})
	}
}
