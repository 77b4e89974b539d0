package host

import (
	"net"
	"strconv"
	"testing"
)

func TestProcAddr(t *testing.T) {
	if !nativeLittle {
		t.Skip("the cases are written in little-endian /proc form")
	}
	tests := []struct {
		in   string
		addr string
		port int
		id   string // proto tcp
	}{
		{"0100007F:0016", "127.0.0.1", 22, "tcp/127.0.0.1:22"},
		{"00000000:0050", "0.0.0.0", 80, "tcp/0.0.0.0:80"},
		{"0A00020F:FFFF", "15.2.0.10", 65535, "tcp/15.2.0.10:65535"},
		{"00000000000000000000000001000000:1F90", "::1", 8080, "tcp/[::1]:8080"},
		{"00000000000000000000000000000000:0016", "::", 22, "tcp/[::]:22"},
		{"B80D0120000000000000000001000000:01BB", "2001:db8::1", 443, "tcp/[2001:db8::1]:443"},
		// v4-mapped addresses come out in their IPv4 form.
		{"0000000000000000FFFF00000100007F:0035", "127.0.0.1", 53, "tcp/127.0.0.1:53"},
		{"0100007F", "", 0, ""},
		{"0100007:0016", "", 0, ""},
		{"0100007F:XYZ", "", 0, ""},
		{"0100007F00:0016", "", 0, ""},
	}
	for _, tc := range tests {
		addr, port := procAddr(tc.in)
		if addr != tc.addr || port != tc.port {
			t.Errorf("procAddr(%q) = %q, %d; want %q, %d", tc.in, addr, port, tc.addr, tc.port)
		}
		if addr != "" {
			if id := "tcp/" + net.JoinHostPort(addr, strconv.Itoa(port)); id != tc.id {
				t.Errorf("id %q, want %q", id, tc.id)
			}
		}
	}
}
