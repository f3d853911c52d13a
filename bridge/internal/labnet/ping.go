package labnet

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Pings is what a Ping run saw: per request its send time and first reply
// time (zero if none), and the replies beyond the first for a request
// (duplicates: broadcast-mode bonds and reflected frames make them).
type Pings struct {
	Sent     []time.Time
	Replied  []time.Time
	Dups     int
	Finished time.Time // end of the wait for replies
}

// Received counts requests that got at least one reply.
func (p *Pings) Received() int {
	n := 0
	for _, r := range p.Replied {
		if !r.IsZero() {
			n++
		}
	}
	return n
}

// GapAfter is the longest stretch without a reply that ends after t, or
// is still open at the end (then recovered is false and the gap runs to
// Finished): for an outage that starts at or after t, how long inbound
// traffic was gone. The stretch before the first reply starts at the
// first request.
func (p *Pings) GapAfter(t time.Time) (gap time.Duration, recovered bool) {
	if len(p.Sent) == 0 {
		return 0, false
	}
	last := p.Sent[0]
	lastReplied := -1
	for i, r := range p.Replied {
		if r.IsZero() {
			continue
		}
		if r.After(t) && r.Sub(last) > gap {
			gap = r.Sub(last)
		}
		if r.After(last) {
			last = r
		}
		lastReplied = i
	}
	// Unanswered requests after the last answered one: the outage is open.
	if lastReplied < len(p.Sent)-1 {
		if open := p.Finished.Sub(maxTime(last, t)); open > gap {
			gap = open
		}
		return gap, false
	}
	return gap, true
}

// LostAfter counts requests sent after t that got no reply.
func (p *Pings) LostAfter(t time.Time) int {
	n := 0
	for i, s := range p.Sent {
		if s.After(t) && p.Replied[i].IsZero() {
			n++
		}
	}
	return n
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

var pingID atomic.Uint32

// Ping sends echo requests from inside netns ns ("" = current) to dst, one
// every interval, until count are sent or ctx is done (count 0 = until
// ctx), then waits up to wait for the last replies.
func Ping(ctx context.Context, ns, dst string, count int, interval, wait time.Duration) (*Pings, error) {
	ip := net.ParseIP(dst).To4()
	if ip == nil {
		return nil, fmt.Errorf("ping: %q is not IPv4", dst)
	}
	fd := -1
	if err := InNS(ns, func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	}); err != nil {
		return nil, fmt.Errorf("ping socket in %q: %w", ns, err)
	}
	f := os.NewFile(uintptr(fd), "icmp")
	conn, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	id := uint16(os.Getpid()) ^ uint16(pingID.Add(1)*7919)

	p := &Pings{}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := conn.ReadFrom(buf) // the IPv4 header is stripped
			if err != nil {
				return
			}
			at := time.Now()
			m := buf[:n]
			if n < 8 || m[0] != 0 || binary.BigEndian.Uint16(m[4:]) != id {
				continue
			}
			seq := int(binary.BigEndian.Uint16(m[6:]))
			mu.Lock()
			// seq wraps at 65536: match the latest request with that seq.
			for i := len(p.Sent) - 1; i >= 0; i-- {
				if i&0xffff == seq {
					if p.Replied[i].IsZero() {
						p.Replied[i] = at
					} else {
						p.Dups++
					}
					break
				}
			}
			mu.Unlock()
		}
	}()

	next := time.Now()
	for i := 0; count == 0 || i < count; i++ {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		next = next.Add(interval)
		mu.Lock()
		p.Sent = append(p.Sent, time.Now())
		p.Replied = append(p.Replied, time.Time{})
		mu.Unlock()
		// A send error (no route while a link is down) is a lost packet.
		conn.WriteTo(echoRequest(id, uint16(i)), &net.IPAddr{IP: ip})
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		mu.Lock()
		all := p.Received() == len(p.Sent)
		mu.Unlock()
		if all && p.Dups == 0 {
			// keep listening a little for duplicates
			time.Sleep(50 * time.Millisecond)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn.Close()
	<-done
	p.Finished = time.Now()
	return p, nil
}

func echoRequest(id, seq uint16) []byte {
	b := make([]byte, 16)
	b[0] = 8
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
