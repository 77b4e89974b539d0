package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's commits append pages to the write-ahead log; a checkpoint copies
// them back into the database file and syncs it. Left to SQLite, the
// connection that commits runs one inside its COMMIT whenever the log has
// passed 1,000 pages: every fourth evidence batch waited for a checkpoint
// (its writes and two more fsyncs) before its items were acknowledged,
// about a tenth of the writer's time. Here a connection of its own copies
// the log in the background (a passive checkpoint runs beside the writer
// and takes no lock from it), and the writer's own checkpoint stays as a
// backstop at walBackstop pages: it then finds the log nearly all copied,
// and still restarts it, which only the writer can do, so the log does not
// grow without bound. With 64 writers of 1 KB items (six alternating runs
// of 20,000 on a loaded machine, medians), the committing goroutine's CPU
// per item was 270 µs with the default checkpoint, 250 with it at 10,000
// pages, and 222 so, of which the writer's own checkpoints are 1%.

const (
	// walBackstop is the writer's wal_autocheckpoint, in pages (80 MiB).
	walBackstop = 20000
	// walPause spaces background checkpoints: each syncs the database
	// file, and pages written again and again (the ends of the tables and
	// indexes) are copied once per pass, not once per commit.
	walPause = 250 * time.Millisecond
	// walHurry replaces it once the log is half way to the backstop, so
	// that the writer, when it gets there, has little left to copy.
	walHurry = 10 * time.Millisecond
)

type walCheckpointer struct {
	db      *sql.DB
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	stopped sync.Once // Store.Close may be called twice
}

func startCheckpointer(db *sql.DB) *walCheckpointer {
	db.SetMaxOpenConns(1)
	c := &walCheckpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// wrote tells the checkpointer that a transaction committed.
func (c *walCheckpointer) wrote() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *walCheckpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// An error (the database is busy or closing) leaves the work to
		// the next pass or to the writer's backstop.
		var busy, logged, copied int
		c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied)
		pause := walPause
		if logged >= walBackstop/2 {
			pause = walHurry
		}
		select {
		case <-c.stop:
			return
		case <-time.After(pause):
		}
	}
}

func (c *walCheckpointer) close() error {
	c.stopped.Do(func() {
		close(c.stop)
		<-c.done
	})
	return c.db.Close()
}
