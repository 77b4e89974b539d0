package host

import "golang.org/x/sys/unix"

// sysFstatat is fstatat(2) with the kernel's own stat layout (unix.Stat_t).
const sysFstatat = unix.SYS_NEWFSTATAT
