//go:build lab

package watch

import (
	"encoding/binary"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/bridge"
	"github.com/hostnet/hostnet/hostnet/lab/probe"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// TestAnnounceFairUnderFlood: a port of br0 whose peer sends frames from 2000 fake source
// MACs (the kernel learns them all) does not crowd the real guest or br0 itself out of an
// announcement capped at 16 frames.
func TestAnnounceFairUnderFlood(t *testing.T) {
	r := activeBackupPrimary(t)
	defer r.Close()
	mustPing(t, r.Root(), topo.GuestIP) // br0 learns the guest, the host its IP
	br0, err := netlink.LinkByName("br0")
	if err != nil {
		t.Fatal(err)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "flood0", MasterIndex: br0.Attrs().Index}, PeerName: "flood0p"}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	defer netlink.LinkDel(veth)
	port, _ := netlink.LinkByName("flood0")
	peer, err := netlink.LinkByName("flood0p")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []netlink.Link{port, peer} {
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	// The fakes sort before any other MAC (02:00:00:...): announced in MAC order, they
	// would fill the cap.
	const fakes = 2000
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrLinklayer{Ifindex: peer.Attrs().Index, Halen: 6}
	copy(to.Addr[:], broadcast)
	frame := make([]byte, 60)
	copy(frame, broadcast)
	binary.BigEndian.PutUint16(frame[12:], 0x88b5) // local experimental EtherType
	for i := range fakes {
		copy(frame[6:], net.HardwareAddr{0x02, 0, 0, 0, byte(i >> 8), byte(i)})
		for unix.Sendto(fd, frame, 0, to) == unix.ENOBUFS {
			time.Sleep(time.Millisecond)
		}
	}
	learned := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fdb, err := bridge.FDB(br0.Attrs().Index)
		if err != nil {
			t.Fatal(err)
		}
		learned = 0
		for _, e := range fdb {
			if e.Port == port.Attrs().Index && e.Learned() {
				learned++
			}
		}
		if learned >= fakes {
			break
		}
	}
	if learned < fakes {
		t.Fatalf("br0 learned %d of the %d fake MACs", learned, fakes)
	}

	const max = 16
	w, err := New(Config{Bonds: []string{"bond0"}, MaxFrames: max, Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.events.Close()
	c, err := probe.StartCapture(r.Remote, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.Announce("bond0")
	time.Sleep(200 * time.Millisecond)
	c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	got := learningFrames(c.Frames())
	total := 0
	for _, n := range got {
		total += n
	}
	brMAC := br0.Attrs().HardwareAddr.String()
	for _, l := range []learning{
		{"rarp", brMAC, "", 0}, {"garp", brMAC, topo.HostIP, 0},
		{"rarp", r.Guest.MAC.String(), "", 0}, {"garp", r.Guest.MAC.String(), topo.GuestIP, 0},
	} {
		if got[l] != 1 {
			t.Errorf("%v: seen %d times, want once", l, got[l])
		}
	}
	if st.MACs < fakes+2 || st.RARP+st.GARP != max || total != max || st.Skipped == 0 {
		t.Errorf("stats %+v, %d learning frames at the remote; want %d MACs planned, %d sent, the rest skipped:\n\t%s",
			st, total, fakes+2, max, keys(got))
	}
}
