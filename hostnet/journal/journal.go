// Package journal owns how hostnet's long-running and boot-time commands log under
// systemd: one line per record on stderr, prefixed with the syslog priority in the
// "<N>" form that journald reads from a service's output stream (sd-daemon(3)), so that
// `journalctl -p err` finds a failed boot apply. Outside systemd the lines are plain.
package journal

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Syslog priorities (sd-daemon(3)).
const (
	PrioErr     = 3
	PrioWarning = 4
	PrioNotice  = 5
	PrioInfo    = 6
	PrioDebug   = 7
)

// LevelNotice sits between Info and Warn: a normal but significant event (a boot apply
// that changed the host).
const LevelNotice = slog.Level(2)

// Priority maps a slog level to a syslog priority.
func Priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return PrioErr
	case l >= slog.LevelWarn:
		return PrioWarning
	case l >= LevelNotice:
		return PrioNotice
	case l >= slog.LevelInfo:
		return PrioInfo
	}
	return PrioDebug
}

// Stream reports whether stderr is connected to journald: systemd sets $JOURNAL_STREAM to
// the device and inode of the stream it gave the service (systemd.exec(5)).
func Stream() bool {
	dev, ino, ok := strings.Cut(os.Getenv("JOURNAL_STREAM"), ":")
	if !ok {
		return false
	}
	var st syscall.Stat_t
	if syscall.Fstat(2, &st) != nil {
		return false
	}
	return dev == strconv.FormatUint(uint64(st.Dev), 10) && ino == strconv.FormatUint(st.Ino, 10)
}

// NewLogger logs to w: with priority prefixes and without timestamps (journald adds its
// own) when prefixed, else as slog's text lines.
func NewLogger(w io.Writer, prefixed bool) *slog.Logger {
	if !prefixed {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	buf := &bytes.Buffer{}
	inner := slog.NewTextHandler(buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(&handler{w: w, mu: &sync.Mutex{}, buf: buf, inner: inner})
}

// handler renders with a text handler into a shared buffer, then writes the line with
// its priority prefix in one write (journald splits the stream at newlines).
type handler struct {
	w     io.Writer
	mu    *sync.Mutex
	buf   *bytes.Buffer
	inner slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	h.buf.WriteString("<" + strconv.Itoa(Priority(r.Level)) + ">")
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	_, err := h.w.Write(h.buf.Bytes())
	return err
}

func (h *handler) WithAttrs(a []slog.Attr) slog.Handler {
	return &handler{w: h.w, mu: h.mu, buf: h.buf, inner: h.inner.WithAttrs(a)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{w: h.w, mu: h.mu, buf: h.buf, inner: h.inner.WithGroup(name)}
}
