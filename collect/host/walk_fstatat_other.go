//go:build linux && !(amd64 || arm64 || riscv64 || loong64)

package host

import "golang.org/x/sys/unix"

// fstatat is lstat of name (NUL-terminated) relative to dirfd; on these
// architectures through unix.Fstatat, which picks the right system call.
func fstatat(dirfd int, name []byte, st *unix.Stat_t) error {
	return unix.Fstatat(dirfd, string(name[:len(name)-1]), st, unix.AT_SYMLINK_NOFOLLOW)
}
