package host

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMounts(t *testing.T) {
	out := run(t, collectMounts, root{"etc/fstab": "# <fs> <mp> <type> <options>\n" +
		"UUID=abc / ext4 defaults,errors=remount-ro 0 1\n" +
		"/dev/sda2 /srv/my\\040data ext4 defaults,nodev 0 2\n" +
		"/dev/sda3 none swap sw 0 0\n" +
		"/swapfile swap swap defaults 0 0\n" +
		"tmpfs /tmp tmpfs defaults 0 0\n" +
		"tmpfs /tmp tmpfs defaults,noexec,nosuid 0 0\n" +
		"short line\n"})
	fstab := out["fstab"].(map[string]any)
	if out["runtime"] != false || out["fstab_exists"] != true || out["fstab_error"] != nil || out["mounts_error"] != nil {
		t.Errorf("runtime %v fstab_exists %v fstab_error %v mounts_error %v", out["runtime"], out["fstab_exists"], out["fstab_error"], out["mounts_error"])
	}
	if len(out["mounts"].(map[string]any)) != 0 {
		t.Errorf("offline mounts %v, want none", out["mounts"])
	}
	want := map[string][]any{
		"/":            {"defaults", "errors=remount-ro"},
		"/srv/my data": {"defaults", "nodev"},
		"/tmp":         {"defaults", "noexec", "nosuid"}, // the later line wins
	}
	if len(fstab) != len(want) {
		t.Errorf("fstab has %d entries, want %d: %v", len(fstab), len(want), fstab)
	}
	for mp, opts := range want {
		if got := m(t, fstab, mp, "options"); !reflect.DeepEqual(got, opts) {
			t.Errorf("%s options %v, want %v", mp, got, opts)
		}
	}
	out = run(t, collectMounts, root{"etc/hostname": "x\n"})
	if out["fstab_exists"] != false || out["fstab_error"] != nil || len(out["fstab"].(map[string]any)) != 0 {
		t.Errorf("no fstab: %v", out)
	}
}

func TestMountsLiveUnreadable(t *testing.T) {
	live := &Host{root: "/", live: true, proc: filepath.Join(t.TempDir(), "missing")}
	out, _ := collectMounts(context.Background(), live)
	if out["runtime"] != true || out["mounts_error"] == nil || len(out["mounts"].(map[string]any)) != 0 {
		t.Errorf("got runtime %v mounts_error %v mounts %v; want runtime true, an error and no mounts",
			out["runtime"], out["mounts_error"], out["mounts"])
	}
}

func TestCryptMounts(t *testing.T) {
	table := "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n" +
		"/dev/mapper/vg-root / ext4 rw,relatime 0 0\n/dev/sda1 /boot ext4 rw 0 0\n" +
		"tmpfs /tmp tmpfs rw 0 0\nserver:/export /mnt/nfs nfs4 rw 0 0\n/dev/root /old ext4 rw 0 0\n"
	got := cryptMounts([]byte(table), func(dev string) any {
		switch dev {
		case "/dev/mapper/vg-root":
			return true
		case "/dev/sda1":
			return false
		}
		return nil
	})
	want := map[string]any{
		"/":        map[string]any{"id": "/", "device": "/dev/mapper/vg-root", "fstype": "ext4", "encrypted": true},
		"/boot":    map[string]any{"id": "/boot", "device": "/dev/sda1", "fstype": "ext4", "encrypted": false},
		"/tmp":     map[string]any{"id": "/tmp", "device": "tmpfs", "fstype": "tmpfs", "encrypted": nil},
		"/mnt/nfs": map[string]any{"id": "/mnt/nfs", "device": "server:/export", "fstype": "nfs4", "encrypted": nil},
		"/old":     map[string]any{"id": "/old", "device": "/dev/root", "fstype": "ext4", "encrypted": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	out := run(t, collectCrypt, root{"etc/crypttab": "# name device\ncrypt_root UUID=abc none luks,discard\ncswap /dev/sda3 /dev/urandom swap,cipher=aes-xts-plain64\nctmp /dev/sda4 none tmp\n"})
	vols := out["volumes"].([]any)
	if out["root_encrypted"] != nil || len(out["mounts"].(map[string]any)) != 0 || len(vols) != 3 {
		t.Fatalf("offline crypt: %v", out)
	}
	for i, want := range []bool{false, true, true} {
		if got := vols[i].(map[string]any)["ephemeral"]; got != want {
			t.Errorf("volume %v: ephemeral %v, want %v", vols[i], got, want)
		}
	}
}

// TestDMCrypt: running dm-crypt targets from a directory laid out like
// /sys/block; swap and the target of an ephemeral crypttab line are
// ephemeral, a data volume is not, and other device-mapper targets (LVM)
// are not encryption.
func TestDMCrypt(t *testing.T) {
	sys := t.TempDir()
	for dm, v := range map[string][2]string{"dm-0": {"CRYPT-LUKS2-abc-data", "data"}, "dm-1": {"CRYPT-PLAIN-cswap", "cswap"},
		"dm-2": {"CRYPT-PLAIN-ctmp", "ctmp"}, "dm-3": {"LVM-xyz", "vg-root"}} {
		os.MkdirAll(filepath.Join(sys, dm, "dm"), 0o755)
		os.WriteFile(filepath.Join(sys, dm, "dm", "uuid"), []byte(v[0]+"\n"), 0o644)
		os.WriteFile(filepath.Join(sys, dm, "dm", "name"), []byte(v[1]+"\n"), 0o644)
	}
	swaps := []byte("Filename\tType\tSize\tUsed\tPriority\n/dev/mapper/cswap   partition\t1048572\t0\t-2\n")
	resolve := func(p string) (string, error) {
		if p == "/dev/mapper/cswap" {
			return "/dev/dm-1", nil
		}
		return "", os.ErrNotExist
	}
	vols, crypt := dmCrypt(sys, swaps, map[string]bool{"ctmp": true, "data": false}, resolve)
	got := map[string]any{}
	for _, v := range vols {
		m := v.(map[string]any)
		got[m["id"].(string)] = m["ephemeral"]
	}
	if len(vols) != 3 || got["data"] != false || got["cswap"] != true || got["ctmp"] != true || !crypt["dm-0"] || crypt["dm-3"] {
		t.Fatalf("volumes %v, crypt %v", vols, crypt)
	}
}

func TestModules(t *testing.T) {
	out := run(t, collectModules, root{
		"lib/modprobe.d/50-vendor.conf": "install sctp /bin/true\n",
		"etc/modprobe.d/50-vendor.conf": "# override: sctp stays loadable\n",
		"etc/modprobe.d/cis.conf":       "install usb_storage /bin/false\nblacklist cramfs\ninstall dccp /sbin/modprobe --ignore-install dccp\n",
		"usr/lib/modprobe.d/10-x.conf":  "install tipc /usr/bin/true\n",
		"run/modprobe.d/10-x.conf":      "->/dev/null",
	})
	mods := out["modules"].(map[string]any)
	for name, w := range map[string][2]bool{ // disabled, blacklisted
		"usb-storage": {true, false}, "cramfs": {false, true}, "dccp": {false, false},
		"sctp": {false, false}, "tipc": {false, false}, "bluetooth": {false, false},
	} {
		r := mods[name].(map[string]any)
		if r["disabled"] != w[0] || r["blacklisted"] != w[1] || r["loaded"] != false {
			t.Errorf("%s = %v, want disabled %v blacklisted %v", name, r, w[0], w[1])
		}
		if r["builtin"] != nil || r["available"] != nil {
			t.Errorf("%s offline: builtin %v available %v, want null", name, r["builtin"], r["available"])
		}
	}
}

func TestKernelModules(t *testing.T) {
	h, _ := newRoot(t, root{
		"lib/modules/6.1.0-9-amd64/modules.dep": "kernel/fs/cramfs/cramfs.ko.xz:\n" +
			"kernel/drivers/usb/storage/usb-storage.ko.zst: kernel/drivers/usb/core/usbcore.ko\n" +
			"kernel/net/sctp/sctp.ko: kernel/lib/libcrc32c.ko\n",
		"lib/modules/6.1.0-9-amd64/modules.builtin": "kernel/fs/squashfs/squashfs.ko\nkernel/drivers/firewire/firewire_core.ko\n",
	})
	loadable, builtin, ok := kernelModules(h, "6.1.0-9-amd64")
	if !ok {
		t.Fatal("modules.dep not read")
	}
	for n, want := range map[string][2]bool{
		"cramfs": {true, false}, "usb-storage": {true, false}, "sctp": {true, false},
		"squashfs": {false, true}, "firewire-core": {false, true}, "udf": {false, false},
	} {
		if loadable[n] != want[0] || builtin[n] != want[1] {
			t.Errorf("%s: loadable %v builtin %v, want %v", n, loadable[n], builtin[n], want)
		}
	}
	if _, _, ok := kernelModules(h, "5.10.0-0-amd64"); ok {
		t.Error("a kernel without modules.dep gave ok")
	}
}

func TestOverlayDirs(t *testing.T) {
	h, _ := newRoot(t, root{
		"usr/lib/d/10-a.conf": "", "usr/lib/d/30-c.conf": "", "usr/lib/d/40-d.conf": "",
		"etc/d/20-b.conf": "", "etc/d/30-c.conf": "", "etc/d/40-d.conf": "->/dev/null",
		"etc/d/50-e.txt": "", "etc/d/.60-hidden.conf": "",
	})
	got, errs := overlayDirs(h, []string{"/etc/d", "/run/d", "/usr/lib/d"}, ".conf")
	want := []string{"/usr/lib/d/10-a.conf", "/etc/d/20-b.conf", "/etc/d/30-c.conf"}
	if !reflect.DeepEqual(got, want) || len(errs) != 0 {
		t.Errorf("got %v %v, want %v", got, errs, want)
	}
}

func TestArch(t *testing.T) {
	for body, want := range map[string]string{"amd64\ni386\n": "amd64", "i386\n": "386", "ppc64el\n": "ppc64le", "": ""} {
		files := root{"etc/hostname": "x\n"}
		if body != "" {
			files["var/lib/dpkg/arch"] = body
		}
		h, _ := newRoot(t, files)
		if got := h.Info()["arch"]; got != want {
			t.Errorf("dpkg arch %q: arch %v, want %q", body, got, want)
		}
	}
}

func TestSELinuxOffline(t *testing.T) {
	out := run(t, collectMAC, root{"etc/selinux/config": "SELINUX=Enforcing\nSELINUXTYPE=targeted\n"})
	se := out["selinux"].(map[string]any)
	if se["installed"] != true || se["mode"] != "enforcing" || se["mode_source"] != "config" || se["type"] != "targeted" {
		t.Errorf("selinux %v", se)
	}
	out = run(t, collectMAC, root{"etc/hostname": "x\n"})
	if se := out["selinux"].(map[string]any); se["mode"] != "" || se["mode_source"] != "" {
		t.Errorf("selinux without config %v", se)
	}
}
