package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/hostnet/hostnet/hostnet/jsonout"
)

// newDocsCmd writes what a package installs next to the binary: man pages generated from
// the commands' help (cobra/doc), shell completions, and the JSON Schema of --json.
func newDocsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Write man pages, shell completions and the JSON Schema to a directory",
		Long: `Docs writes, under --dir:

  man/man1/hostnet.1, hostnet-plan.1, ...   one man page per command, from its help
  completion/hostnet.bash, _hostnet, hostnet.fish
  hostnet-output.schema.json                the JSON Schema of --json (docs/json.md)

To install them system-wide:

  hostnet docs --dir /tmp/hostnet-docs
  cp /tmp/hostnet-docs/man/man1/*.1 /usr/local/share/man/man1/ && mandb -q
  cp /tmp/hostnet-docs/completion/hostnet.bash /etc/bash_completion.d/hostnet`,
		Example: `  hostnet docs --dir out && man out/man/man1/hostnet-apply.1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root := cmd.Root()
			man := filepath.Join(dir, "man", "man1")
			comp := filepath.Join(dir, "completion")
			for _, d := range []string{man, comp} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return withCode(exitError, err)
				}
			}
			root.DisableAutoGenTag = true // reproducible pages: no generation date
			header := &doc.GenManHeader{Title: "HOSTNET", Section: "1", Source: "hostnet " + readBuildInfo().Version, Manual: "hostnet manual"}
			if err := doc.GenManTree(root, header, man); err != nil {
				return withCode(exitError, fmt.Errorf("man pages: %w", err))
			}
			for name, gen := range map[string]func(string) error{
				"hostnet.bash": func(p string) error { return root.GenBashCompletionFileV2(p, true) },
				"_hostnet":     root.GenZshCompletionFile,
				"hostnet.fish": func(p string) error { return root.GenFishCompletionFile(p, true) },
			} {
				if err := gen(filepath.Join(comp, name)); err != nil {
					return withCode(exitError, fmt.Errorf("completion %s: %w", name, err))
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "hostnet-output.schema.json"), jsonout.Schema, 0o644); err != nil {
				return withCode(exitError, err)
			}
			pages, _ := filepath.Glob(filepath.Join(man, "*.1"))
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %d man pages to %s, completions for bash, zsh and fish to %s, and the JSON Schema.\n", len(pages), man, comp)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write to (created)")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}
