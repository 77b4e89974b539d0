// Package smtptest is a real SMTP server for tests: it speaks the
// protocol over TCP (greeting, EHLO, MAIL, RCPT, DATA with dot-stuffing,
// QUIT) and keeps what it receives. It can refuse recipients, as a mail
// server does for an unknown mailbox, and stall, as an overloaded one
// does, so senders' error paths and timeouts are tested against a socket.
package smtptest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Message is one message received.
type Message struct {
	From string
	To   []string
	Data string // headers and body, CRLF line ends, dots unstuffed
}

// Server is a running SMTP server.
type Server struct {
	Addr string
	// Refuse, when set, says which recipients get 550.
	Refuse func(rcpt string) bool
	// Stall makes new connections get no greeting at all.
	Stall atomic.Bool

	mu   sync.Mutex
	msgs []Message
}

// Start starts a server on a loopback port, closed when the test ends.
func Start(t testing.TB) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String()}
	var conns sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				defer c.Close()
				if s.Stall.Load() {
					<-done
					return
				}
				s.serve(c)
			})
		}
	}()
	return s
}

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the messages once there are at least n, or what there is
// after the timeout.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	end := time.Now().Add(timeout)
	for {
		m := s.Messages()
		if len(m) >= n || time.Now().After(end) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	fmt.Fprint(c, "220 smtptest ESMTP\r\n")
	var cur Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(cmd, " ", 2)[0])
		arg := func(prefix string) string {
			v := strings.TrimSpace(cmd[min(len(cmd), len(prefix)):])
			return strings.Trim(v, "<>")
		}
		switch verb {
		case "EHLO", "HELO":
			fmt.Fprint(c, "250 smtptest\r\n")
		case "MAIL":
			cur = Message{From: arg("MAIL FROM:")}
			fmt.Fprint(c, "250 OK\r\n")
		case "RCPT":
			to := arg("RCPT TO:")
			if s.Refuse != nil && s.Refuse(to) {
				fmt.Fprintf(c, "550 5.1.1 <%s>: mailbox unavailable\r\n", to)
				continue
			}
			cur.To = append(cur.To, to)
			fmt.Fprint(c, "250 OK\r\n")
		case "DATA":
			fmt.Fprint(c, "354 go on\r\n")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = data.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			fmt.Fprint(c, "250 OK queued\r\n")
		case "QUIT":
			fmt.Fprint(c, "221 bye\r\n")
			return
		default:
			fmt.Fprint(c, "250 OK\r\n")
		}
	}
}
