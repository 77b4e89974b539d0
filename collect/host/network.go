package host

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
)

func collectNetwork(_ context.Context, h *Host) (map[string]any, error) {
	listening := []any{}
	if h.live {
		for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
			data, err := os.ReadFile("/proc/net/" + proto)
			if err != nil {
				continue
			}
			for i, l := range lines(data, "") {
				f := strings.Fields(l)
				if i == 0 || len(f) < 4 {
					continue
				}
				// TCP LISTEN is 0A; a bound UDP socket is 07 with no peer.
				if strings.HasPrefix(proto, "tcp") && f[3] != "0A" ||
					strings.HasPrefix(proto, "udp") && (f[3] != "07" || !strings.HasSuffix(f[2], ":0000")) {
					continue
				}
				addr, port := procAddr(f[1])
				if addr == "" {
					continue
				}
				id := fmt.Sprintf("%s/%s", proto, net.JoinHostPort(addr, strconv.Itoa(port)))
				listening = append(listening, map[string]any{"id": id, "proto": proto, "address": addr, "port": port})
			}
		}
		sortByID(listening)
		listening = uniqByID(listening)
	}
	return map[string]any{"listening": listening, "firewall": firewall(h)}, nil
}

func uniqByID(l []any) []any {
	var out []any
	for i, x := range l {
		if i == 0 || x.(map[string]any)["id"] != l[i-1].(map[string]any)["id"] {
			out = append(out, x)
		}
	}
	return nonNil(out)
}

// nativeLittle: /proc/net prints each 32-bit word of an address in the
// kernel's byte order.
var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// procAddr decodes /proc/net's "0100007F:0016": the address as 32-bit
// words in host byte order (little-endian on x86 and arm64), the port in
// hex. IPv6 addresses come out without brackets ("::1"), and a v4-mapped
// one as its IPv4 form ("::ffff:127.0.0.1" is "127.0.0.1").
func procAddr(s string) (string, int) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0
	}
	port, perr := strconv.ParseUint(p, 16, 16)
	b, err := hex.DecodeString(a)
	if err != nil || perr != nil || (len(b) != 4 && len(b) != 16) {
		return "", 0
	}
	if nativeLittle {
		for i := 0; i < len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
	}
	return net.IP(b).String(), int(port)
}

var (
	nftInput   = regexp.MustCompile(`(?s)chain\s+\w+\s*\{[^}]*?hook\s+input[^;]*;\s*policy\s+(\w+)`)
	nftLo      = regexp.MustCompile(`iif(name)?\s+"?lo"?\s+accept`)
	iptInput   = regexp.MustCompile(`(?m)^:INPUT\s+(\w+)`)
	iptLo      = regexp.MustCompile(`(?m)^-A INPUT\s+-i lo\s+-j ACCEPT`)
	ufwEnabled = regexp.MustCompile(`(?m)^ENABLED\s*=\s*yes`)
	ufwPolicy  = regexp.MustCompile(`(?m)^DEFAULT_INPUT_POLICY\s*=\s*"?(\w+)"?`)
	fwdZone    = regexp.MustCompile(`(?m)^DefaultZone\s*=\s*(\S+)`)
	fwdTarget  = regexp.MustCompile(`<zone[^>]*\starget="([^"]+)"`)
)

func firewall(h *Host) map[string]any {
	fw := map[string]any{"id": "firewall", "nftables": false, "iptables": false, "ufw": false,
		"firewalld": false, "input_policy": "", "rules_file": "", "loopback_accept": false}
	var errs []string
	read := func(p string) string {
		b, err := h.ReadFile(p)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, readErr(p, err))
			}
			return ""
		}
		return string(b)
	}
	if s := read("/etc/ufw/ufw.conf"); ufwEnabled.MatchString(s) {
		fw["ufw"], fw["rules_file"] = true, "/etc/ufw/ufw.conf"
		if m := ufwPolicy.FindStringSubmatch(read("/etc/default/ufw")); m != nil {
			fw["input_policy"] = strings.ToLower(m[1])
		}
		fw["loopback_accept"] = strings.Contains(read("/etc/ufw/before.rules"), "-A ufw-before-input -i lo -j ACCEPT")
	}
	if s := read("/etc/nftables.conf"); s != "" {
		if m := nftInput.FindStringSubmatch(s); m != nil {
			fw["nftables"], fw["rules_file"], fw["input_policy"] = true, "/etc/nftables.conf", strings.ToLower(m[1])
			fw["loopback_accept"] = nftLo.MatchString(s)
		}
	}
	for _, p := range []string{"/etc/iptables/rules.v4", "/etc/sysconfig/iptables"} {
		if s := read(p); s != "" {
			if m := iptInput.FindStringSubmatch(s); m != nil {
				fw["iptables"] = true
				if fw["input_policy"] == "" {
					fw["rules_file"], fw["input_policy"] = p, strings.ToLower(m[1])
					fw["loopback_accept"] = iptLo.MatchString(s)
				}
			}
		}
	}
	// firewalld counts only when its service starts at boot (a config
	// file on a host where it is masked or disabled filters nothing), and
	// its policy is the default zone's target: "trusted" accepts all.
	if s := read("/etc/firewalld/firewalld.conf"); s != "" && firewalldEnabled(h) {
		fw["firewalld"] = true
		if fw["input_policy"] == "" {
			zone := "public"
			if m := fwdZone.FindStringSubmatch(s); m != nil {
				zone = m[1]
			}
			policy := "reject" // a zone's default target rejects what it does not allow
			zf := ""
			for _, p := range []string{"/etc/firewalld/zones/" + zone + ".xml", "/usr/lib/firewalld/zones/" + zone + ".xml"} {
				if z := read(p); z != "" {
					zf = p
					if m := fwdTarget.FindStringSubmatch(z); m != nil {
						switch strings.ToUpper(m[1]) {
						case "ACCEPT":
							policy = "accept"
						case "DROP":
							policy = "drop"
						}
					}
					break
				}
			}
			if zf == "" && zone == "trusted" {
				policy = "accept"
			}
			fw["rules_file"], fw["input_policy"], fw["loopback_accept"], fw["zone"] = "/etc/firewalld/firewalld.conf", policy, true, zone
		}
	}
	if len(errs) > 0 && fw["input_policy"] == "" {
		fw["error"] = strings.Join(errs, "; ")
	}
	return fw
}

// firewalldEnabled: the unit is wanted at boot and not masked.
func firewalldEnabled(h *Host) bool {
	if t, err := h.Readlink("/etc/systemd/system/firewalld.service"); err == nil && t == "/dev/null" {
		return false
	}
	return h.Exists("/etc/systemd/system/multi-user.target.wants/firewalld.service") ||
		h.Exists("/etc/systemd/system/sysinit.target.wants/firewalld.service")
}
