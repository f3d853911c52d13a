package live

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
)

// An ownership mark is the IFLA_IFALIAS hostnet writes on the interfaces it creates:
//
//	hostnet:<plan address> #<tag>
//
// where <tag> is the first MarkTagLen bytes, in hex, of HMAC-SHA256(key, plan address) and
// key is a secret kept in the network namespace's default state directory (package safe,
// file mark.key, mode 0600, root-owned; the CLI picks the directory). A link whose alias merely starts with "hostnet:" (a user's alias, or a mark
// copied from a config file) has no valid tag and is not hostnet's: hostnet neither changes
// nor deletes it. The key lives on tmpfs (/run), so it lives exactly as long as the links
// it marks (a reboot removes both).

// MarkTagLen is the length in bytes of a mark's tag (hex-encoded in the alias).
const MarkTagLen = 12

// markSep separates the plan address from the tag.
const markSep = " #"

var (
	markMu  sync.RWMutex
	markKey = func() []byte {
		// A process that never loads the state directory's key (unit tests, the lab's
		// in-process tests) gets a key of its own: marks it writes are its own only.
		k := make([]byte, 32)
		rand.Read(k)
		return k
	}()
)

// SetMarkKey sets the key that signs and verifies ownership marks (package safe loads it
// from the state directory).
func SetMarkKey(k []byte) {
	markMu.Lock()
	markKey = append([]byte(nil), k...)
	markMu.Unlock()
}

func markTag(addr string) string {
	markMu.RLock()
	h := hmac.New(sha256.New, markKey)
	markMu.RUnlock()
	h.Write([]byte(addr))
	return hex.EncodeToString(h.Sum(nil)[:MarkTagLen])
}

// MarkFor is the ownership mark of the object at plan address addr.
func MarkFor(addr string) string { return MarkPrefix + addr + markSep + markTag(addr) }

// ParseMark returns the plan address of a valid ownership mark; ok is false for any
// other alias, including one that starts with MarkPrefix but whose tag does not verify.
func ParseMark(alias string) (addr string, ok bool) {
	if !strings.HasPrefix(alias, MarkPrefix) {
		return "", false
	}
	rest := alias[len(MarkPrefix):]
	i := strings.LastIndex(rest, markSep)
	if i < 0 {
		return "", false
	}
	addr, tag := rest[:i], rest[i+len(markSep):]
	if !hmac.Equal([]byte(tag), []byte(markTag(addr))) {
		return "", false
	}
	return addr, true
}

// LooksMarked reports whether alias starts like a mark (valid or not): for diagnostics.
func LooksMarked(alias string) bool { return strings.HasPrefix(alias, MarkPrefix) }

// MaxMarkLen is the longest alias the kernel keeps (IFALIASZ 256, with the NUL).
const MaxMarkLen = 255

// MarkLen is the length of MarkFor(addr), without computing it.
func MarkLen(addr string) int { return len(MarkPrefix) + len(addr) + len(markSep) + 2*MarkTagLen }
