//go:build lab

package probe

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// These tests need a kernel of their own: they run in the lab.
func TestMain(m *testing.M) { lab.RunTestMain(m) }

// TestSendCapture: frames sent from one remote reach another across the
// switch, untagged and tagged; the capture gives the tag back as VLAN.
func TestSendCapture(t *testing.T) {
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	a, err := tp.AddRemote("a", "198.51.100.1/24")
	if err != nil {
		t.Fatal(err)
	}
	b, err := tp.AddRemote("b", "198.51.100.2/24")
	if err != nil {
		t.Fatal(err)
	}
	c, err := StartCapture(b, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	plain := EtherFrame(bcast, a.MAC, 0x88b5, []byte("probe plain"))
	tag := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, 42), 0x88b5) // TCI, then the inner type
	tagged := EtherFrame(bcast, a.MAC, 0x8100, append(tag, "probe tagged"...))
	if len(plain) != 60 {
		t.Errorf("frame of %d bytes, want padded to 60", len(plain))
	}
	if err := Send(a, "eth0", plain, tagged); err != nil {
		t.Fatal(err)
	}
	want := map[string]uint16{"probe plain": 0, "probe tagged": 42}
	got := map[string]uint16{}
	for deadline := time.Now().Add(3 * time.Second); len(got) < len(want) && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, f := range c.Frames() {
			if len(f.Data) < 14 || !bytes.Equal(f.Data[6:12], a.MAC) || binary.BigEndian.Uint16(f.Data[12:]) != 0x88b5 {
				continue
			}
			got[string(bytes.TrimRight(f.Data[14:], "\x00"))] = f.VLAN
		}
	}
	c.Stop()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("captured %v, want %v", got, want)
	}
	if err := Send(a, "nosuchdev"); err == nil {
		t.Error("Send on a missing device succeeded")
	}
}

// TestKmsg reads what is logged after the open, and only that.
func TestKmsg(t *testing.T) {
	if err := os.WriteFile("/dev/kmsg", []byte("probe: before the open on dummy7\n"), 0); err != nil {
		t.Fatal(err)
	}
	k, err := OpenKmsg()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, m := range []string{"probe: dummy7 saw 52:54:00:00:00:01", "probe: dummy7 saw 52:54:00:00:00:02", "probe: other line"} {
		if err := os.WriteFile("/dev/kmsg", []byte(m+"\n"), 0); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := k.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Summarize(msgs, "dummy7"), []string{"probe: dummy7 saw <mac> (x2)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Summarize(%q) = %q, want %q", msgs, got, want)
	}
	if again, err := k.Read(); err != nil || len(again) != 0 {
		t.Errorf("second Read: %q, %v", again, err)
	}
}
