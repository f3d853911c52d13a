// Package probe looks at a lab network from the inside, next to
// hostnet/lab/topo: raw Ethernet frames sent and captured on a device of a
// topo.Host, and the kernel log. Like topo it must only run inside a lab
// (hostnet/lab).
package probe

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"
	"unsafe"

	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"golang.org/x/sys/unix"
)

// EtherFrame is a minimal Ethernet frame (padded to 60 bytes).
func EtherFrame(dst, src net.HardwareAddr, ethertype uint16, payload []byte) []byte {
	b := make([]byte, 14, 60)
	copy(b, dst)
	copy(b[6:], src)
	binary.BigEndian.PutUint16(b[12:], ethertype)
	b = append(b, payload...)
	for len(b) < 60 {
		b = append(b, 0)
	}
	return b
}

// Send transmits raw frames on dev in h's namespace through an AF_PACKET
// socket.
func Send(h *topo.Host, dev string, frames ...[]byte) error {
	return h.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
		for _, f := range frames {
			if err := unix.Sendto(fd, f, 0, sa); err != nil {
				return fmt.Errorf("probe: send on %s of %s: %w", dev, h.Name, err)
			}
		}
		return nil
	})
}

// Captured is one frame seen by a Capture. The kernel strips a received
// 802.1Q tag into metadata; VLAN has it back (0 = untagged).
type Captured struct {
	At   time.Time
	Data []byte
	VLAN uint16
}

// Capture records every frame received on a device.
type Capture struct {
	fd     int
	mu     sync.Mutex
	frames []Captured
	stop   chan struct{}
	done   chan struct{}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// StartCapture records the frames received on dev in h's namespace.
func StartCapture(h *topo.Host, dev string) (*Capture, error) {
	c := &Capture{fd: -1, stop: make(chan struct{}), done: make(chan struct{})}
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		c.fd = fd
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			return err
		}
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 20000})
	})
	if err != nil {
		if c.fd >= 0 {
			unix.Close(c.fd)
		}
		return nil, fmt.Errorf("probe: capture on %s of %s: %w", dev, h.Name, err)
	}
	go c.loop()
	return c, nil
}

func (c *Capture) loop() {
	defer close(c.done)
	buf := make([]byte, 2048)
	oob := make([]byte, 256)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, 0)
		if err != nil {
			continue // timeout: look at stop again
		}
		if sa, ok := from.(*unix.SockaddrLinklayer); ok && sa.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		cf := Captured{At: time.Now(), Data: append([]byte(nil), buf[:n]...)}
		if cms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, cm := range cms {
				if cm.Header.Level == unix.SOL_PACKET && cm.Header.Type == unix.PACKET_AUXDATA && len(cm.Data) >= int(unsafe.Sizeof(unix.TpacketAuxdata{})) {
					aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&cm.Data[0]))
					if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
						cf.VLAN = aux.Vlan_tci & 0x0fff
					}
				}
			}
		}
		c.mu.Lock()
		c.frames = append(c.frames, cf)
		c.mu.Unlock()
	}
}

// Frames returns what was captured so far.
func (c *Capture) Frames() []Captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Captured(nil), c.frames...)
}

// Stop ends the capture.
func (c *Capture) Stop() {
	close(c.stop)
	<-c.done
	unix.Close(c.fd)
}
