package topo

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// PingResult is what PingStats measured.
type PingResult struct {
	Sent, Received int
	// MaxGap is the longest stretch without a reply: between the first
	// request and the first reply, between consecutive replies, and when the
	// last requests got no reply, the time those requests covered on the send
	// schedule. During a failover it is the outage as the traffic saw it.
	MaxGap time.Duration
}

// Ping sends count ICMP echo requests to dst from inside h's namespace,
// one every interval, and counts the replies (waiting up to 1s after the
// last request). err is only for failures to ping at all.
func (h *Host) Ping(dst string, count int, interval time.Duration) (sent, received int, err error) {
	r, err := h.PingStats(dst, count, interval)
	return r.Sent, r.Received, err
}

var pingID atomic.Uint32

// PingStats is Ping that also reports the longest gap between replies.
func (h *Host) PingStats(dst string, count int, interval time.Duration) (PingResult, error) {
	var res PingResult
	ip := net.ParseIP(dst).To4()
	if ip == nil {
		return res, fmt.Errorf("topo: ping: %q is not an IPv4 address", dst)
	}
	conn, err := h.icmpConn()
	if err != nil {
		return res, err
	}
	defer conn.Close()
	// A raw socket sees every ICMP packet of the namespace: match on id.
	id := uint16(os.Getpid()) ^ uint16(pingID.Add(1)*7919)

	type reply struct {
		seq int
		at  time.Time
	}
	replies := make(chan reply, count)
	go func() {
		defer close(replies)
		buf := make([]byte, 1500)
		seen := map[int]bool{}
		for len(seen) < count {
			n, _, err := conn.ReadFrom(buf) // IPConn strips the IPv4 header
			if err != nil {
				return // deadline or closed
			}
			m := buf[:n]
			if n < 8 || m[0] != 0 || m[1] != 0 || binary.BigEndian.Uint16(m[4:]) != id {
				continue
			}
			seq := int(binary.BigEndian.Uint16(m[6:]))
			if seq < count && !seen[seq] {
				seen[seq] = true
				replies <- reply{seq, time.Now()}
			}
		}
	}()

	start := time.Now()
	next := start
	for i := 0; i < count; i++ {
		time.Sleep(time.Until(next))
		next = next.Add(interval)
		res.Sent++
		// A send error (e.g. no route while a link is down) is a lost packet.
		conn.WriteTo(echoRequest(id, uint16(i)), &net.IPAddr{IP: ip})
	}
	conn.SetReadDeadline(time.Now().Add(time.Second))
	last, lastSeq := start, -1
	for r := range replies {
		res.Received++
		if g := r.at.Sub(last); g > res.MaxGap {
			res.MaxGap = g
		}
		last = r.at
		lastSeq = max(lastSeq, r.seq)
	}
	// Requests after the last answered one were lost: they span that much of the
	// schedule. (Waiting out the read deadline is not part of any outage.)
	if tail := time.Duration(count-1-lastSeq) * interval; lastSeq < count-1 && tail > res.MaxGap {
		res.MaxGap = tail
	}
	return res, nil
}

// icmpConn opens a raw ICMP socket in h's namespace. The socket stays in
// that namespace after the thread switches back, so it is used from any
// goroutine afterwards.
func (h *Host) icmpConn() (net.PacketConn, error) {
	fd := -1
	open := func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	}
	var err error
	if h.NS == "" {
		err = open()
	} else {
		err = inNS(h.ns, open)
	}
	if err != nil {
		return nil, fmt.Errorf("topo: ping socket in %s: %w", h.Name, err)
	}
	f := os.NewFile(uintptr(fd), "icmp")
	defer f.Close() // FilePacketConn dups it
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("topo: ping socket: %w", err)
	}
	return c, nil
}

// echoRequest is an ICMP echo request with an 8-byte payload.
func echoRequest(id, seq uint16) []byte {
	b := make([]byte, 16)
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], "hostnet!")
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[2:], ^uint16(sum))
	return b
}
