//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package host

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatat is lstat of name (NUL-terminated, as getdents returns it)
// relative to the directory dirfd, straight from the entries buffer:
// unix.Fstatat would copy every name to add the NUL it already has.
func fstatat(dirfd int, name []byte, st *unix.Stat_t) error {
	_, _, e := unix.Syscall6(sysFstatat, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])),
		uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
