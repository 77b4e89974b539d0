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
