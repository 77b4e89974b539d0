// Command mktree lays out a directory like a host's root with a given
// number of entries, for measuring what the number of files costs a scan:
// bench/scan-compare.sh scans trees of 100,000 and 1,000,000 entries with
// `vigil scan --root` and compares their peak memory.
//
// The tree has this host's /etc/passwd and /etc/group (so that owners are
// known), one planted world-writable file and one set-uid file (so the
// scan is seen to have walked it all), and the rest as empty files in
// directories of 1,000 entries, two levels deep, as package trees and
// caches are.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "directory to fill (created; must not exist)")
	n := flag.Int("entries", 100_000, "entries to create")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: mktree --dir DIR --entries N")
		os.Exit(2)
	}
	if err := build(*dir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "mktree:", err)
		os.Exit(1)
	}
}

func build(dir string, n int) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%s exists", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"passwd", "group"} {
		b, err := os.ReadFile("/etc/" + f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "etc", f), b, 0o644); err != nil {
			return err
		}
	}
	plant := func(name string, mode os.FileMode) error {
		p := filepath.Join(dir, "srv", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return err
		}
		return os.Chmod(p, mode)
	}
	if err := plant("planted-world-writable", 0o666); err != nil {
		return err
	}
	if err := plant("planted-suid", 0o755|os.ModeSetuid); err != nil {
		return err
	}
	made := 6 // etc, its two files, srv, the two planted
	for top := 0; made < n; top++ {
		d := filepath.Join(dir, "srv", fmt.Sprintf("t%04d", top))
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		made++
		for sub := 0; sub < 1000 && made < n; sub++ {
			s := filepath.Join(d, fmt.Sprintf("s%03d", sub))
			if err := os.Mkdir(s, 0o755); err != nil {
				return err
			}
			made++
			for f := 0; f < 999 && made < n; f++ {
				fd, err := os.OpenFile(filepath.Join(s, fmt.Sprintf("f%03d", f)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if err != nil {
					return err
				}
				fd.Close()
				made++
			}
		}
	}
	return nil
}
