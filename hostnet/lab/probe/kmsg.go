package probe

import (
	"errors"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Kmsg reads the kernel log from the moment it was opened: /dev/kmsg,
// positioned at the end, read without blocking.
type Kmsg struct{ fd int }

// OpenKmsg opens /dev/kmsg at its end.
func OpenKmsg() (*Kmsg, error) {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/dev/kmsg", Err: err}
	}
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Kmsg{fd: fd}, nil
}

// Read returns the messages logged since the last Read (or the open).
func (k *Kmsg) Read() ([]string, error) {
	var out []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(k.fd, buf)
		if errors.Is(err, unix.EPIPE) { // overwritten records: skip ahead
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		// "prio,seq,usec,flags;text\n continuation lines"
		rec := string(buf[:n])
		if _, text, ok := strings.Cut(rec, ";"); ok {
			text, _, _ = strings.Cut(text, "\n")
			out = append(out, text)
		}
	}
}

// Close closes the log.
func (k *Kmsg) Close() error { return unix.Close(k.fd) }

var varying = regexp.MustCompile(`\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b`)

// Summarize reduces messages to the distinct ones that mention one of the
// given devices, each with its count, MAC addresses replaced by "<mac>".
func Summarize(msgs []string, devs ...string) []string {
	count := map[string]int{}
	for _, m := range msgs {
		hit := false
		for _, d := range devs {
			if strings.Contains(m, d) {
				hit = true
			}
		}
		if hit {
			count[varying.ReplaceAllString(m, "<mac>")]++
		}
	}
	var out []string
	for m, n := range count {
		if n > 1 {
			m += " (x" + strconv.Itoa(n) + ")"
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
