package topo

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"
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

// PingStats is Ping that also reports the longest gap between replies.
func (h *Host) PingStats(dst string, count int, interval time.Duration) (PingResult, error) {
	pg, err := h.StartPing(dst, count, interval)
	if err != nil {
		return PingResult{}, err
	}
	<-pg.sending
	p := pg.stop(time.Second, 0)
	return PingResult{Sent: len(p.Sent), Received: p.Received(), MaxGap: p.MaxGap()}, nil
}

// PingRecord sends echo requests to dst from inside h's namespace, one
// every interval, until count are sent or ctx is done (count 0: until ctx
// is done), then waits up to wait for the last replies, and returns the
// time of every request and reply. Once every request has a reply it
// listens 50 ms more for duplicates, or on to wait if there are some.
func (h *Host) PingRecord(ctx context.Context, dst string, count int, interval, wait time.Duration) (*Pings, error) {
	pg, err := h.StartPing(dst, count, interval)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
	case <-pg.sending:
	}
	return pg.Stop(wait), nil
}

// Pings is what a pinger saw: per request its send time and its first
// reply's time (zero if none), and the replies beyond the first to a
// request (duplicates: broadcast bonds and reflected frames make them).
type Pings struct {
	Sent     []time.Time
	Replied  []time.Time
	Dups     int
	Finished time.Time // end of the wait for replies
	Interval time.Duration
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

// MaxGap is PingResult.MaxGap: the longest stretch without a reply from the
// first request on, where requests after the last answered one count for
// the time they cover on the send schedule.
func (p *Pings) MaxGap() time.Duration {
	if len(p.Sent) == 0 {
		return 0
	}
	var replies []time.Time
	lastSeq := -1
	for i, r := range p.Replied {
		if !r.IsZero() {
			replies = append(replies, r)
			lastSeq = i
		}
	}
	sort.Slice(replies, func(i, j int) bool { return replies[i].Before(replies[j]) })
	var gap time.Duration
	last := p.Sent[0]
	for _, r := range replies {
		gap = max(gap, r.Sub(last))
		last = r
	}
	// (Waiting out the deadline for replies is not part of any outage.)
	return max(gap, time.Duration(len(p.Sent)-1-lastSeq)*p.Interval)
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
		from := last
		if t.After(from) {
			from = t
		}
		return max(gap, p.Finished.Sub(from)), false
	}
	return gap, true
}

// SentAfter counts requests sent after t.
func (p *Pings) SentAfter(t time.Time) int {
	n := 0
	for _, s := range p.Sent {
		if s.After(t) {
			n++
		}
	}
	return n
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

// Pinger is a background PingRecord, started by StartPing.
type Pinger struct {
	conn    net.PacketConn
	id      uint16
	cancel  context.CancelFunc
	sending chan struct{} // closed when the last request is sent
	reading chan struct{} // closed when the reader has stopped
	reply   chan struct{} // a reply came (buffered, 1)

	mu sync.Mutex
	p  Pings

	stopped sync.Once
}

var pingID atomic.Uint32

// StartPing starts sending echo requests to dst from inside h's namespace,
// one every interval, in the background: count of them, or with count 0
// until Stop.
func (h *Host) StartPing(dst string, count int, interval time.Duration) (*Pinger, error) {
	ip := net.ParseIP(dst).To4()
	if ip == nil {
		return nil, fmt.Errorf("topo: ping: %q is not an IPv4 address", dst)
	}
	conn, err := h.icmpConn()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	pg := &Pinger{
		conn: conn, cancel: cancel, p: Pings{Interval: interval},
		// A raw socket sees every ICMP packet of the namespace: match on id.
		id:      uint16(os.Getpid()) ^ uint16(pingID.Add(1)*7919),
		sending: make(chan struct{}), reading: make(chan struct{}), reply: make(chan struct{}, 1),
	}
	go pg.read()
	go pg.send(ctx, ip, count, interval)
	return pg, nil
}

func (pg *Pinger) read() {
	defer close(pg.reading)
	buf := make([]byte, 1500)
	for {
		n, _, err := pg.conn.ReadFrom(buf) // IPConn strips the IPv4 header
		if err != nil {
			return // closed
		}
		at := time.Now()
		m := buf[:n]
		if n < 8 || m[0] != 0 || m[1] != 0 || binary.BigEndian.Uint16(m[4:]) != pg.id {
			continue
		}
		seq := int(binary.BigEndian.Uint16(m[6:]))
		pg.mu.Lock()
		// seq wraps at 65536: the reply is to the latest request with it.
		for i := len(pg.p.Sent) - 1; i >= 0; i-- {
			if i&0xffff == seq {
				if pg.p.Replied[i].IsZero() {
					pg.p.Replied[i] = at
				} else {
					pg.p.Dups++
				}
				break
			}
		}
		pg.mu.Unlock()
		select {
		case pg.reply <- struct{}{}:
		default:
		}
	}
}

func (pg *Pinger) send(ctx context.Context, ip net.IP, count int, interval time.Duration) {
	defer close(pg.sending)
	next := time.Now()
	for i := 0; count == 0 || i < count; i++ {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			return
		}
		next = next.Add(interval)
		pg.mu.Lock()
		pg.p.Sent = append(pg.p.Sent, time.Now())
		pg.p.Replied = append(pg.p.Replied, time.Time{})
		pg.mu.Unlock()
		// A send error (e.g. no route while a link is down) is a lost packet.
		pg.conn.WriteTo(echoRequest(pg.id, uint16(i)), &net.IPAddr{IP: ip})
	}
}

// Stop stops sending, waits up to wait for the replies still missing
// (when all have come, 50 ms more for duplicates, or on to wait if there
// are some) and returns the record. Later calls return the same record
// at once.
func (pg *Pinger) Stop(wait time.Duration) *Pings { return pg.stop(wait, 50*time.Millisecond) }

// stop is Stop that, with dupWait 0, returns as soon as every request has
// a reply.
func (pg *Pinger) stop(wait, dupWait time.Duration) *Pings {
	pg.stopped.Do(func() { pg.finish(wait, dupWait) })
	return &pg.p
}

func (pg *Pinger) finish(wait, dupWait time.Duration) {
	pg.cancel()
	<-pg.sending
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
wait:
	for {
		pg.mu.Lock()
		all, dups := pg.p.Received() == len(pg.p.Sent), pg.p.Dups
		pg.mu.Unlock()
		if all && (dupWait == 0 || dups == 0) {
			time.Sleep(dupWait)
			break
		}
		select {
		case <-pg.reply:
		case <-deadline.C:
			break wait
		}
	}
	pg.conn.Close()
	<-pg.reading
	pg.p.Finished = time.Now()
}

// icmpConn opens a raw ICMP socket in h's namespace. The socket stays in
// that namespace after the thread switches back, so it is used from any
// goroutine afterwards.
func (h *Host) icmpConn() (net.PacketConn, error) {
	fd := -1
	err := h.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	})
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
