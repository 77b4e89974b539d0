package host

import (
	"slices"
	"testing"
)

// RHEL 8 and later: grub.cfg says only "blscfg"; what boots is each Boot
// Loader Specification entry's options line. /etc/default/grub may still
// name a parameter that grubby removed from an entry.
func TestBootBLS(t *testing.T) {
	files := root{
		"etc/default/grub":                  "GRUB_CMDLINE_LINUX=\"crashkernel=auto audit=1 audit_backlog_limit=8192\"\n",
		"boot/grub2/grub.cfg":               "set default=\"${saved_entry}\"\ninsmod blscfg\nblscfg\n",
		"boot/grub2/grubenv":                "# GRUB Environment Block\nkernelopts=root=/dev/mapper/rhel-root ro audit=1 audit_backlog_limit=8192\n###########\n",
		"boot/loader/entries/a-5.14.0.conf": "title RHEL (5.14.0)\nlinux /vmlinuz-5.14.0\noptions $kernelopts\n",
		"boot/loader/entries/b-rescue.conf": "title RHEL (rescue)\nlinux /vmlinuz-0-rescue\noptions root=/dev/mapper/rhel-root ro audit_backlog_limit=8192\n",
	}
	out := run(t, collectBoot, files)
	cmd := m(t, out, "grub", "cmdline").([]any)
	if slices.Contains(cmd, any("audit=1")) || !slices.Contains(cmd, any("audit_backlog_limit=8192")) {
		t.Errorf("cmdline %v: want audit_backlog_limit=8192 (every entry) and not audit=1 (the rescue entry lacks it)", cmd)
	}
	if m(t, out, "grub", "error") != nil {
		t.Errorf("error %v", m(t, out, "grub", "error"))
	}
	// Every entry has it: it counts.
	files["boot/loader/entries/b-rescue.conf"] = "title RHEL (rescue)\noptions root=/dev/mapper/rhel-root ro audit=1 audit_backlog_limit=8192\n"
	out = run(t, collectBoot, files)
	if cmd := m(t, out, "grub", "cmdline").([]any); !slices.Contains(cmd, any("audit=1")) {
		t.Errorf("cmdline %v: want audit=1", cmd)
	}
	// The entries directory cannot be read: an error, not /etc/default/grub.
	files["boot/loader/entries"] = "->entries"
	delete(files, "boot/loader/entries/a-5.14.0.conf")
	delete(files, "boot/loader/entries/b-rescue.conf")
	out = run(t, collectBoot, files)
	if m(t, out, "grub", "error") == nil {
		t.Errorf("unreadable BLS entries: no error")
	}
}

// RHEL 8 on UEFI keeps grub.cfg (and user.cfg) on the EFI system partition:
// a host with GRUB there has a bootloader.
func TestBootEFI(t *testing.T) {
	out := run(t, collectBoot, root{
		"boot/efi/EFI/BOOT/BOOTX64.EFI": "",
		"boot/efi/EFI/redhat/grub.cfg":  "menuentry 'RHEL' {\n  linuxefi /vmlinuz root=/dev/sda2 ro audit=1\n}\n",
		"boot/efi/EFI/redhat/user.cfg":  "GRUB2_PASSWORD=grub.pbkdf2.sha512.10000.AB\n",
	})
	g := m(t, out, "grub").(map[string]any)
	if g["exists"] != true || g["file"] != "/boot/efi/EFI/redhat/grub.cfg" || g["password"] != true {
		t.Errorf("grub %v, want the EFI grub.cfg with its user.cfg password", g)
	}
	if cmd := g["cmdline"].([]any); !slices.Contains(cmd, any("audit=1")) {
		t.Errorf("cmdline %v", cmd)
	}
	// Where /boot/grub2/grub.cfg exists, the EFI stub is not read.
	out = run(t, collectBoot, root{
		"boot/grub2/grub.cfg":         "menuentry 'x' {\n  linux /vmlinuz ro\n}\n",
		"boot/efi/EFI/rocky/grub.cfg": "search --no-floppy --fs-uuid --set=dev abc\nconfigfile ($dev)/grub2/grub.cfg\n",
	})
	if f := m(t, out, "grub", "file"); f != "/boot/grub2/grub.cfg" {
		t.Errorf("file %v, want /boot/grub2/grub.cfg", f)
	}
}
