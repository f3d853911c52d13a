package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

var native = binary.NativeEndian

// Conn is a NETLINK_ROUTE socket of its own in the network namespace of a netlink.Handle.
// hostnet reads the live state through it (raw dumps, so that every attribute is seen) and
// sends its changes through it, several requests per sendmsg when the caller asks.
//
// It is separate from the Handle's own socket because it switches on extended and capped
// ACKs, which the netlink library's parser does not expect.
type Conn struct {
	s   *nl.NetlinkSocket
	ns  netns.NsHandle // as given to Dial: /proc/sys reads happen there
	pid uint32
	seq uint32
	// Sent counts the requests sent (dumps included), for tests and benchmarks.
	Sent int
	// Syscalls counts sendmsg calls.
	Syscalls int
}

// Request is one netlink request: its type, extra flags (NLM_F_REQUEST and NLM_F_ACK are
// always added) and the payload after the netlink header.
type Request struct {
	Type  uint16
	Flags uint16
	Body  []byte
}

// Error is a kernel's answer to a failed request: the errno and, when the kernel gave one,
// its extended-ACK message.
type Error struct {
	Errno syscall.Errno
	Msg   string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("%s (kernel: %s)", e.Errno.Error(), e.Msg)
	}
	return e.Errno.Error()
}

// Unwrap lets errors.Is(err, unix.EBUSY) work.
func (e *Error) Unwrap() error { return e.Errno }

// Dial opens a Conn in network namespace ns; netns.None() (or any closed handle) means the
// calling thread's namespace. Taking the namespace, not a netlink.Handle, keeps the choice
// explicit: the library's Handle does not expose the namespace of its sockets. The Conn
// keeps ns for the /proc/sys reads of ReadWith: the caller keeps it open while using the Conn.
func Dial(ns netns.NsHandle) (*Conn, error) {
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("live: netlink socket: %w", err)
	}
	fd := s.GetFd()
	// Big receive buffer: pipelined requests queue one ACK each before we read them.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	tv := unix.NsecToTimeval((60 * time.Second).Nanoseconds())
	_ = s.SetReceiveTimeout(&tv)
	pid, err := s.GetPid()
	if err != nil {
		s.Close()
		return nil, err
	}
	return &Conn{s: s, ns: ns, pid: pid, seq: uint32(time.Now().UnixNano())}, nil
}

func (c *Conn) Close() {
	if c != nil && c.s != nil {
		c.s.Close()
		c.s = nil
	}
}

func (c *Conn) nextSeq() uint32 { return atomic.AddUint32(&c.seq, 1) }

const hdrLen = unix.SizeofNlMsghdr

func appendMsg(buf []byte, typ, flags uint16, seq, pid uint32, body []byte) []byte {
	l := hdrLen + len(body)
	var h [hdrLen]byte
	native.PutUint32(h[0:4], uint32(l))
	native.PutUint16(h[4:6], typ)
	native.PutUint16(h[6:8], flags)
	native.PutUint32(h[8:12], seq)
	native.PutUint32(h[12:16], pid)
	buf = append(buf, h[:]...)
	buf = append(buf, body...)
	for len(buf)%4 != 0 {
		buf = append(buf, 0)
	}
	return buf
}

func (c *Conn) send(buf []byte) error {
	fd := c.s.GetFd()
	sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	c.Syscalls++
	for tries := 0; ; tries++ {
		err := unix.Sendto(fd, buf, 0, sa)
		if err == nil {
			return nil
		}
		if (err == unix.EAGAIN || err == unix.EINTR) && tries < 1000 {
			time.Sleep(time.Millisecond)
			continue
		}
		return err
	}
}

// parseErr decodes an NLMSG_ERROR payload (errno 0 = ACK).
func parseErr(flags uint16, data []byte) error {
	if len(data) < 4 {
		return errors.New("live: short netlink error message")
	}
	errno := int32(native.Uint32(data[0:4]))
	if errno == 0 {
		return nil
	}
	e := &Error{Errno: syscall.Errno(-errno)}
	rest := data[4:]
	if flags&unix.NLM_F_ACK_TLVS != 0 && len(rest) >= hdrLen {
		skip := hdrLen
		if flags&unix.NLM_F_CAPPED == 0 {
			skip = int(native.Uint32(rest[0:4]))
			skip = (skip + 3) &^ 3
		}
		if skip <= len(rest) {
			forAttrs(rest[skip:], func(t uint16, v []byte) {
				if t == unix.NLMSGERR_ATTR_MSG {
					e.Msg = cString(v)
				}
			})
		}
	}
	return e
}

// Batch sends the requests in one sendmsg and waits for every ACK. The kernel handles them
// in order, each on its own, so a failure does not stop the ones after it; errs[i] is the
// answer to reqs[i].
func (c *Conn) Batch(reqs []Request) (errs []error, err error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	// One block of len(reqs) sequence numbers, taken at once; it may wrap past 2^32.
	first := atomic.AddUint32(&c.seq, uint32(len(reqs))) - uint32(len(reqs)) + 1
	size := 0
	for _, r := range reqs {
		size += hdrLen + len(r.Body) + 3
	}
	buf := make([]byte, 0, size)
	for i, r := range reqs {
		buf = appendMsg(buf, r.Type, r.Flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK, first+uint32(i), c.pid, r.Body)
	}
	c.Sent += len(reqs)
	if err := c.send(buf); err != nil {
		return nil, fmt.Errorf("live: netlink send: %w", err)
	}
	errs = make([]error, len(reqs))
	pending := len(reqs)
	got := make([]bool, len(reqs))
	for pending > 0 {
		msgs, from, err := c.s.Receive()
		if err != nil {
			if err == unix.EAGAIN {
				return errs, fmt.Errorf("live: timed out waiting for %d netlink ACKs", pending)
			}
			return errs, fmt.Errorf("live: netlink receive: %w", err)
		}
		if from.Pid != nl.PidKernel {
			continue
		}
		for _, m := range msgs {
			i, ok := seqIndex(m.Header.Seq, first, len(reqs))
			if !ok || got[i] {
				continue
			}
			if m.Header.Type != unix.NLMSG_ERROR {
				continue // an echo or a stray message: the ACK follows
			}
			got[i] = true
			pending--
			errs[i] = parseErr(m.Header.Flags, m.Data)
		}
	}
	return errs, nil
}

// seqIndex is the index in a batch of n requests numbered from first of the answer with
// sequence number seq, ok false when seq is not one of the batch's. Wrap-safe: the block
// may run past 2^32 (sequence numbers start at a clock value), where seq < first would
// drop the ACKs after the wrap and leave Batch waiting for its timeout.
func seqIndex(seq, first uint32, n int) (int, bool) {
	off := seq - first // modulo 2^32
	if uint64(off) >= uint64(n) {
		return 0, false
	}
	return int(off), true
}

// Do sends one request and waits for its ACK.
func (c *Conn) Do(r Request) error {
	errs, err := c.Batch([]Request{r})
	if err != nil {
		return err
	}
	return errs[0]
}

// errDumpInterrupted is returned when the kernel flagged a dump as inconsistent.
var errDumpInterrupted = errors.New("live: netlink dump interrupted")

// Dump runs one dump request and calls f for every message of type want.
func (c *Conn) Dump(typ uint16, body []byte, want uint16, f func(data []byte) error) error {
	seq := c.nextSeq()
	buf := appendMsg(nil, typ, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, seq, c.pid, body)
	c.Sent++
	if err := c.send(buf); err != nil {
		return fmt.Errorf("live: netlink send: %w", err)
	}
	intr := false
	var ferr error
	for {
		msgs, from, err := c.s.Receive()
		if err != nil {
			return fmt.Errorf("live: netlink dump: %w", err)
		}
		if from.Pid != nl.PidKernel {
			continue
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			if m.Header.Flags&unix.NLM_F_DUMP_INTR != 0 {
				intr = true
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				if len(m.Data) >= 4 {
					if err := parseErr(0, m.Data); err != nil {
						return err
					}
				}
				if ferr != nil {
					return ferr
				}
				if intr {
					return errDumpInterrupted
				}
				return nil
			case unix.NLMSG_ERROR:
				if err := parseErr(m.Header.Flags, m.Data); err != nil {
					return err
				}
			case want:
				if ferr == nil {
					ferr = f(m.Data)
				}
			}
		}
	}
}

// dumpRetry retries a dump that the kernel flagged as interrupted by a concurrent change.
func (c *Conn) dumpRetry(typ uint16, body []byte, want uint16, reset func(), f func(data []byte) error) error {
	var err error
	for try := 0; try < 5; try++ {
		reset()
		err = c.Dump(typ, body, want, f)
		if !errors.Is(err, errDumpInterrupted) {
			return err
		}
	}
	return err
}

// forAttrs walks a run of netlink attributes without allocating.
func forAttrs(b []byte, f func(typ uint16, v []byte)) {
	for len(b) >= 4 {
		l := int(native.Uint16(b[0:2]))
		t := native.Uint16(b[2:4]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return
		}
		f(t, b[4:l])
		al := (l + 3) &^ 3
		if al >= len(b) {
			return
		}
		b = b[al:]
	}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// nlaTypeMask strips NLA_F_NESTED and NLA_F_NET_BYTEORDER from an attribute type.
const nlaTypeMask = 0x3fff
