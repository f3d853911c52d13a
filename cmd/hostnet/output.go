package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/jsonout"
)

// version is set at link time by release builds (-ldflags "-X main.version=v1.2.3");
// otherwise the module version from the build information is used.
var version = ""

// buildInfo is what `hostnet version` prints: where the binary comes from.
type buildInfo struct {
	Version   string // module version, or "(devel)" for a build from a work tree
	Revision  string // VCS revision, "" when the build did not record it
	Time      string // VCS commit time
	Modified  bool   // the work tree had uncommitted changes
	GoVersion string
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if b.Version == "" {
			b.Version = "unknown"
		}
		return b
	}
	b.GoVersion = info.GoVersion
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// short is the one-line version: "v1.2.3", "(devel) 0123abcd4567+dirty", or a
// pseudo-version that already names the revision.
func (b buildInfo) short() string {
	s := b.Version
	if b.Revision == "" {
		return s
	}
	rev := b.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if !strings.Contains(s, rev) {
		s += " " + rev
	}
	if b.Modified && !strings.Contains(s, "dirty") {
		s += "+dirty"
	}
	return s
}

func (b buildInfo) long() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "hostnet %s\n", b.Version)
	rev := b.Revision
	if rev == "" {
		rev = "unknown (built without VCS information: go build -buildvcs=true in a git work tree records it)"
	} else if b.Modified {
		rev += " (with uncommitted changes)"
	}
	fmt.Fprintf(&sb, "  revision: %s\n", rev)
	if b.Time != "" {
		fmt.Fprintf(&sb, "  commit time: %s\n", b.Time)
	}
	fmt.Fprintf(&sb, "  go: %s\n", b.GoVersion)
	fmt.Fprintf(&sb, "  json format: %s\n", jsonout.FormatVersion)
	return sb.String()
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hostnet's version, VCS revision, Go version and JSON format version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprint(cmd.OutOrStdout(), readBuildInfo().long())
		},
	}
}

// jsonCommands print a jsonout.Document with --json.
var jsonCommands = []string{"validate", "plan", "apply", "destroy", "status", "rollback"}

// jsonRunE wraps the body of a command that has --json. Without --json it is the body.
// With it, the document is printed on stdout whatever happens: the body fills it, and an
// error the body returns goes into it (kind from the error, see withKind) with exit code
// 1; nothing but the document reaches stdout.
func jsonRunE(name string, asJSON *bool, body func(cmd *cobra.Command, args []string, doc *jsonout.Document) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if !*asJSON {
			return body(cmd, args, nil)
		}
		doc := jsonout.New(name, readBuildInfo().short())
		err := body(cmd, args, doc)
		code := exitOK
		if err != nil {
			code = exitError
			var ce *exitCodeError
			if errors.As(err, &ce) {
				code = ce.code
			}
			if code == exitError && doc.Error == nil {
				msg := err.Error()
				if ce != nil {
					msg = ce.err.Error()
				}
				if msg == "" {
					msg = "the command failed"
				}
				doc.Fail(kindOf(err), errors.New(msg))
			}
		}
		doc.ExitCode = code
		if werr := doc.Write(cmd.OutOrStdout()); werr != nil {
			return werr
		}
		if code != exitOK {
			return withCode(code, nil)
		}
		return nil
	}
}

// usageJSON prints the document of a command line cobra refused (an unknown flag, a
// missing argument) when it asked for --json: automation gets JSON for every failure.
func usageJSON(args []string, stdout io.Writer, err error) bool {
	if !slices.Contains(args, "--json") {
		return false
	}
	name := ""
	for _, a := range args {
		if slices.Contains(jsonCommands, a) {
			name = a
			break
		}
	}
	if name == "" {
		return false
	}
	doc := jsonout.New(name, readBuildInfo().short())
	doc.Fail(jsonout.ErrUsage, err)
	return doc.Write(stdout) == nil
}

// kindOf is the jsonout error kind an error carries (withKind), ErrOther without one.
func kindOf(err error) string {
	var ce *exitCodeError
	if errors.As(err, &ce) && ce.kind != "" {
		return ce.kind
	}
	return jsonout.ErrOther
}

// withKind is withCode(exitError, err) with the error's kind for --json.
func withKind(kind string, err error) error {
	return &exitCodeError{code: exitError, err: err, kind: kind}
}
