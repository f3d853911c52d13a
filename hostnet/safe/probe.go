package safe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ProbeTimeout bounds one probe.
const ProbeTimeout = time.Second

// Probe checks, after an apply, that the host is still reachable the way it must be.
type Probe interface {
	Run(ctx context.Context) error
	String() string // the normalized spec
}

// ParseProbe parses a normalized probe spec:
//
//	icmp:ADDR       ICMP echo to ADDR (IPv4); `--probe gateway` becomes icmp:<planned gateway>
//	tcp:HOST:PORT   a TCP connection to HOST:PORT
//	exec:CMD ARGS   CMD run directly (argv split on blanks, no shell), exit status 0 passes
func ParseProbe(spec string) (Probe, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	switch kind {
	case "icmp":
		a, err := netip.ParseAddr(rest)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("probe %q: want an IPv4 address", spec)
		}
		return icmpProbe{a}, nil
	case "tcp":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return nil, fmt.Errorf("probe %q: want tcp:HOST:PORT", spec)
		}
		return tcpProbe{rest}, nil
	case "exec":
		argv := strings.Fields(rest)
		if len(argv) == 0 {
			return nil, fmt.Errorf("probe %q: want exec:COMMAND [ARGS]", spec)
		}
		return execProbe{argv}, nil
	}
	return nil, fmt.Errorf("unknown probe %q: want gateway, tcp:HOST:PORT or exec:COMMAND", spec)
}

// ResolveProbe makes a probe spec independent of the working directory and $PATH of the
// process that reads it: the command of an exec probe becomes an absolute path (a relative
// path against the current directory, a bare name through $PATH), checked to be an
// executable file now, at apply time, because the watchdog runs it later from / with its
// own environment. Other specs are returned as they are.
func ResolveProbe(spec string) (string, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	if kind != "exec" {
		return spec, nil
	}
	argv := strings.Fields(rest)
	if len(argv) == 0 {
		return "", fmt.Errorf("probe %q: want exec:COMMAND [ARGS]", spec)
	}
	path, err := exec.LookPath(argv[0])
	if err == nil {
		path, err = filepath.Abs(path)
	}
	if err != nil {
		return "", fmt.Errorf("probe %q: %w", spec, err)
	}
	argv[0] = path
	return "exec:" + strings.Join(argv, " "), nil
}

// RunProbes runs the probes in parallel, each within ProbeTimeout (exec probes get five
// times that), and returns their errors in order (nil = passed).
func RunProbes(ctx context.Context, probes []Probe) []error {
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := ProbeTimeout
			if _, ok := p.(execProbe); ok {
				t *= 5
			}
			c, cancel := context.WithTimeout(ctx, t)
			defer cancel()
			errs[i] = p.Run(c)
		}()
	}
	wg.Wait()
	return errs
}

type tcpProbe struct{ addr string }

func (p tcpProbe) String() string { return "tcp:" + p.addr }

func (p tcpProbe) Run(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return err
	}
	return c.Close()
}

type execProbe struct{ argv []string }

func (p execProbe) String() string { return "exec:" + strings.Join(p.argv, " ") }

func (p execProbe) Run(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, p.argv[0], p.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	return cmd.Run()
}

type icmpProbe struct{ addr netip.Addr }

func (p icmpProbe) String() string { return "icmp:" + p.addr.String() }

// Run sends ICMP echo requests (one every 200 ms) from a raw socket until a reply from the
// address comes or ctx ends.
func (p icmpProbe) Run(ctx context.Context) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return fmt.Errorf("icmp socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "icmp")
	c, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		return err
	}
	defer c.Close()
	id := uint16(os.Getpid())
	dst := &net.IPAddr{IP: p.addr.AsSlice()}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(ProbeTimeout)
	}
	buf := make([]byte, 1500)
	for seq := uint16(0); time.Now().Before(deadline); seq++ {
		c.WriteTo(echo(id, seq), dst)
		end := time.Now().Add(200 * time.Millisecond)
		if end.After(deadline) {
			end = deadline
		}
		c.SetReadDeadline(end)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				break
			}
			ip, _ := from.(*net.IPAddr)
			if ip != nil && ip.IP.Equal(dst.IP) && n >= 8 && buf[0] == 0 && binary.BigEndian.Uint16(buf[4:]) == id {
				return nil
			}
		}
	}
	return errors.New("no echo reply from " + p.addr.String())
}

func echo(id, seq uint16) []byte {
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
