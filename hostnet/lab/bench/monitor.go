package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// monitor counts the kernel's rtnetlink notifications (links, addresses, routes): every change
// of that state, whoever makes it, produces at least one. It is the independent check that a
// no-op apply wrote nothing: the kernel queues a notification synchronously with the change,
// so draining the socket after the command has returned sees all of them.
type monitor struct {
	fd  int
	buf []byte
	// types counts notifications by type while non-nil.
	types map[uint16]int
}

func newMonitor() (*monitor, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("bench: monitor socket: %w", err)
	}
	groups := uint32(unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR |
		unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bench: monitor bind: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<20)
	}
	return &monitor{fd: fd, buf: make([]byte, 1<<20)}, nil
}

func (m *monitor) Close() { unix.Close(m.fd) }

// drain reads what is queued without blocking and returns the number of notifications.
// overflow is true when the kernel dropped some (the queue was full): the count is then a
// lower bound.
func (m *monitor) drain() (n int, overflow bool, err error) {
	for {
		k, _, err := unix.Recvfrom(m.fd, m.buf, unix.MSG_DONTWAIT)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return n, overflow, nil
		case errors.Is(err, unix.ENOBUFS):
			overflow = true
			continue
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return n, overflow, fmt.Errorf("bench: monitor: %w", err)
		}
		b := m.buf[:k]
		for len(b) >= unix.SizeofNlMsghdr {
			l := int(native.Uint32(b[0:4]))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				break
			}
			n++
			if m.types != nil {
				m.types[native.Uint16(b[4:6])]++
			}
			l = (l + 3) &^ 3
			if l > len(b) {
				break
			}
			b = b[l:]
		}
	}
}

// settle waits until the kernel has been quiet (no notification) for quiet, at most max:
// after a large apply, carrier changes, IPv6 DAD and bridge port states trickle in for a
// while. It reports whether the quiet period was reached.
func (m *monitor) settle(quiet, max time.Duration) (bool, error) {
	const tick = 50 * time.Millisecond
	deadline := time.Now().Add(max)
	calm := time.Duration(0)
	for time.Now().Before(deadline) {
		time.Sleep(tick)
		n, over, err := m.drain()
		if err != nil {
			return false, err
		}
		if n > 0 || over {
			calm = 0
			continue
		}
		if calm += tick; calm >= quiet {
			return true, nil
		}
	}
	return false, nil
}

var rtmNames = map[uint16]string{
	unix.RTM_NEWLINK: "RTM_NEWLINK", unix.RTM_DELLINK: "RTM_DELLINK",
	unix.RTM_NEWADDR: "RTM_NEWADDR", unix.RTM_DELADDR: "RTM_DELADDR",
	unix.RTM_NEWROUTE: "RTM_NEWROUTE", unix.RTM_DELROUTE: "RTM_DELROUTE",
}

// typeSummary is "RTM_NEWADDR x3, ..." of the counted types.
func typeSummary(types map[uint16]int) string {
	var parts []string
	for t, n := range types {
		name := rtmNames[t]
		if name == "" {
			name = fmt.Sprintf("type %d", t)
		}
		parts = append(parts, fmt.Sprintf("%s x%d", name, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
