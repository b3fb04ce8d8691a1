package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func init() { verbs = append(verbs, newEditCmd) }

type editArgs struct {
	full, force bool
}

func newEditCmd(g *globals) *cobra.Command {
	var a editArgs
	cmd := &cobra.Command{
		Use:   "edit [--full] [--force] NAME",
		Short: "Edit a service's config file, checked before it replaces the file, then loaded",
		Long: `edit opens a copy of NAME's service file (NAME.toml or NAME.yaml in the config directory) in
an editor, as 'systemctl edit --full' does: $SYSTEMD_EDITOR, $EDITOR or $VISUAL, else the
first of editor, nano, vim and vi found. When the editor exits, the copy is checked by herod's
own rules, together with the rest of the directory. An edit with a problem in the file, or one
that brings a new problem to the directory (a dependency cycle, an unknown service), is
refused: every problem is printed, the file is left untouched, and the edited copy is kept
(its path is printed) so the work is not lost. An accepted edit replaces the file atomically,
keeping its owner and mode, and herod is made to load it (daemon-reload); it applies to a
running service from its next start ('heroctl restart NAME'). An unchanged or emptied copy
changes nothing.

hero's configs have no drop-ins (systemd's override.conf): a service is one file, so edit
always edits that whole file, and --full (systemctl's flag for that) changes nothing. --force
creates NAME.toml from a template when no file defines NAME. With --config-dir DIR, edit
works on DIR (herod's reload then reads its own directory, whichever that is).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.host != "" {
				return usageError(cmd, "edit works on this host's files: run it on the host (ssh HOST heroctl edit NAME)")
			}
			return editService(cmd, g, args[0], a)
		},
	}
	cmd.Flags().BoolVar(&a.full, "full", false, "edit the whole file (always so: hero's configs have no drop-ins)")
	cmd.Flags().BoolVar(&a.force, "force", false, "create NAME.toml from a template if no file defines NAME")
	return cmd
}

// editTarget is the file an edit replaces: its path, and its contents, owner and mode now
// (exists false for a new file).
type editTarget struct {
	name, path string
	data       []byte
	exists     bool
	mode       fs.FileMode
	uid, gid   int
}

// findTarget finds name's file in the config directory, or with force names a new NAME.toml.
func findTarget(g *globals, name string, force bool) (editTarget, error) {
	set, _, err := loadConfig(g)
	if err != nil {
		return editTarget{}, err
	}
	if s := set.Service(name); s != nil {
		t := editTarget{name: s.File, path: filepath.Join(g.configDir, s.File), exists: true}
		// A symlinked file is replaced where it lives; the link stays.
		if real, err := filepath.EvalSymlinks(t.path); err == nil {
			t.path = real
		}
		info, err := os.Stat(t.path)
		if err != nil {
			return t, exitWith(ExitFailure, fmt.Errorf("edit %s: %w", name, err))
		}
		if t.data, err = os.ReadFile(t.path); err != nil {
			return t, exitWith(ExitFailure, fmt.Errorf("edit %s: %w", name, err))
		}
		t.mode = info.Mode().Perm()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			t.uid, t.gid = int(st.Uid), int(st.Gid)
		}
		return t, nil
	}
	if !force {
		return editTarget{}, exitWith(ExitNoSuchService, fmt.Errorf("no such service %q in %s (--force creates %s.toml)", name, g.configDir, name))
	}
	if err := config.CheckName(name); err != nil {
		return editTarget{}, exitWith(ExitFailure, fmt.Errorf("edit --force %s: %v", name, err))
	}
	file := name + ".toml"
	return editTarget{name: file, path: filepath.Join(g.configDir, file), data: []byte(newServiceTemplate(name)), mode: 0o644}, nil
}

// newServiceTemplate is what --force gives the editor for a new service.
func newServiceTemplate(name string) string {
	return fmt.Sprintf(`# %[1]s: a hero service (man 5 hero-service has every key). Saved unchanged, nothing is created.
description = "%[1]s"
exec = ["/bin/sh", "-c", "echo '%[1]s: replace this command'; exec sleep infinity"]
restart = "on-failure"

[dependencies]
requires = []
`, name)
}

func editService(cmd *cobra.Command, g *globals, name string, a editArgs) error {
	target, err := findTarget(g, name, a.force)
	if err != nil {
		return err
	}
	copyPath, err := writeEditCopy(target)
	if err != nil {
		return exitWith(ExitFailure, err)
	}
	if err := runEditor(cmd.Context(), copyPath); err != nil {
		os.Remove(copyPath)
		return exitWith(ExitFailure, err)
	}
	edited, err := os.ReadFile(copyPath)
	if err != nil {
		return exitWith(ExitFailure, fmt.Errorf("reading the edited copy: %w", err))
	}
	switch {
	case len(bytes.TrimSpace(edited)) == 0:
		os.Remove(copyPath)
		fmt.Fprintf(Stderr, "Editing %s canceled: the copy is empty; nothing changed.\n", target.path)
		return nil
	case bytes.Equal(edited, target.data):
		os.Remove(copyPath)
		fmt.Fprintf(Stderr, "Editing %s canceled: no changes.\n", target.path)
		return nil
	}
	if probs, err := editProblems(g, target.name, edited); err != nil {
		return err
	} else if len(probs) > 0 {
		//lint:ignore ST1005 a message of several sentences, for the person at the terminal
		return exitWith(ExitFailure, fmt.Errorf("edit refused: %s is unchanged; the edit has %d problem(s):\n%s\nYour edit is kept in %s.",
			target.path, len(probs), probs.Error(), copyPath))
	}
	if err := replaceFile(target, edited); err != nil {
		return exitWith(ExitFailure, fmt.Errorf("edit %s: %w (the edit is kept in %s); %s", name, err, copyPath, g.asRoot()))
	}
	os.Remove(copyPath)
	if !g.quiet {
		fmt.Fprintf(Stderr, "Wrote %s.\n", target.path)
	}
	return reloadAfterEdit(cmd, g)
}

// writeEditCopy writes the file's contents to a private temporary copy for the editor, named
// after the file (so editors know its syntax).
func writeEditCopy(t editTarget) (string, error) {
	f, err := os.CreateTemp("", "heroctl-edit-*-"+t.name)
	if err != nil {
		return "", fmt.Errorf("edit: temporary copy: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(t.data); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("edit: writing the temporary copy: %w", err)
	}
	return f.Name(), f.Close()
}

// editorCommand is the editor as systemctl edit chooses it: $SYSTEMD_EDITOR, $EDITOR, $VISUAL
// (split at spaces: "code --wait"), else the first of editor, nano, vim, vi on $PATH.
func editorCommand() ([]string, error) {
	for _, env := range []string{"SYSTEMD_EDITOR", "EDITOR", "VISUAL"} {
		if words := strings.Fields(os.Getenv(env)); len(words) > 0 {
			return words, nil
		}
	}
	for _, name := range []string{"editor", "nano", "vim", "vi"} {
		if path, err := exec.LookPath(name); err == nil {
			return []string{path}, nil
		}
	}
	return nil, errors.New("edit: no editor: set $EDITOR (none of editor, nano, vim, vi is installed)")
}

// runEditor runs the editor on path, on heroctl's terminal, until it exits.
func runEditor(ctx context.Context, path string) error {
	words, err := editorCommand()
	if err != nil {
		return err
	}
	c := exec.CommandContext(ctx, words[0], append(words[1:], path)...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("edit: the editor %q failed (%v); nothing changed", strings.Join(words, " "), err)
	}
	return nil
}

// editProblems checks the directory as it would be with file holding data, by herod's rules:
// the problems of file itself, and those the edit brings to other files (cycles, unknown
// services), not those the directory had already.
func editProblems(g *globals, file string, data []byte) (config.Problems, error) {
	files, err := readServiceFiles(g.configDir)
	if err != nil {
		return nil, exitWith(ExitFailure, err)
	}
	_, before := config.Build(files)
	had := map[string]bool{}
	for _, p := range before {
		had[p.String()] = true
	}
	replaced := false
	for i := range files {
		if files[i].Name == file {
			files[i].Data, replaced = data, true
		}
	}
	if !replaced {
		files = append(files, config.File{Name: file, Data: data})
	}
	_, after := config.Build(files)
	var out config.Problems
	for _, p := range after {
		if p.File == file || !had[p.String()] {
			out = append(out, p)
		}
	}
	return out, nil
}

// readServiceFiles reads dir's service files as configdir lists them (hidden files skipped).
func readServiceFiles(dir string) ([]config.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading config directory %s: %w", dir, err)
	}
	var files []config.File
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.IsDir() || !config.IsServiceFile(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", e.Name(), err)
		}
		files = append(files, config.File{Name: e.Name(), Data: data})
	}
	return files, nil
}

// replaceFile writes data to t's path atomically: a hidden temporary file in the same
// directory (never read as a service), given t's owner and mode, synced, renamed over it.
func replaceFile(t editTarget, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(t.path), ".#"+t.name+".")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(t.mode); err != nil {
		return err
	}
	if t.exists {
		if err := f.Chown(t.uid, t.gid); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, t.path); err != nil {
		return err
	}
	ok = true
	return nil
}

// reloadAfterEdit makes herod load the edited file (daemon-reload), as systemctl edit does;
// a herod that is not running reads it when it starts.
func reloadAfterEdit(cmd *cobra.Command, g *globals) error {
	c, err := reach(cmd, g)
	if err != nil {
		if notReachable(err) {
			if !g.quiet {
				fmt.Fprintln(Stderr, "herod is not running: it reads the file when it starts.")
			}
			return nil
		}
		return adviseFor(g, err)
	}
	defer c.Close()
	g.openAgent() // the reload is privileged: polkit may ask for a password
	n, err := c.Reload(cmd.Context())
	if err != nil {
		if !g.quiet {
			fmt.Fprintln(Stderr, "heroctl: the file was written; herod's reload says:")
		}
		return adviseFor(g, err)
	}
	if !g.quiet {
		fmt.Fprintf(Stderr, "Reloaded: %d service(s).\n", n)
	}
	return nil
}
