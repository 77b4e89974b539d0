package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/secret"
)

func runEvidence(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil evidence add | attest | list | get | review | export",
		verb{"add", evidenceAdd},
		verb{"attest", evidenceAttest},
		verb{"list", evidenceList},
		verb{"get", evidenceGet},
		verb{"review", evidenceReview},
		verb{"export", evidenceExport})
}

// evidenceAdd is `vigil evidence add`.
func evidenceAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "evidence add", "evidence add FILE --control AC-01 --effective 2026-10-01 [--effective-end DATE] [--title T] [--request ID] [--type MEDIA/TYPE]")
	ctl := c.String("control", "", "control id(s), comma-separated")
	eff := c.String("effective", "", "day the evidence speaks for (YYYY-MM-DD)")
	effEnd := c.String("effective-end", "", "last day it speaks for")
	title := c.String("title", "", "title (default: the file name)")
	req := c.String("request", "", "evidence request id(s), comma-separated")
	mt := c.String("type", "", "media type (default: from the file name)")
	redact := c.Bool("redact", false, "redact secrets from text before sealing")
	file, rest := firstArg(args)
	if err := c.parse(rest); err != nil {
		return err
	}
	if file == "" {
		c.Usage()
		return errUsage
	}
	f, size, sum, err := openHashed(file)
	if err != nil {
		return err
	}
	defer f.Close()
	q := url.Values{"filename": {filepath.Base(file)}, "effective_start": {*eff}}
	for k, v := range map[string]string{"effective_end": *effEnd, "title": *title, "control": *ctl, "request": *req} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *redact {
		q.Set("redact", "true")
	}
	mediaType := *mt
	if mediaType == "" {
		mediaType = vigil.MediaTypeFor(file)
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	e, err := cl.UploadEvidence(ctx, q, mediaType, size, sum, f)
	if err != nil {
		return err
	}
	if *c.json {
		b, _ := json.Marshal(e)
		return printJSON(env.stdout, b)
	}
	fmt.Fprintf(env.stdout, "evidence %d: %s, %d bytes, sha256 %s, log entry %d\n", e.ID, e.Filename, e.Size, e.SHA256, e.LogIndex)
	return nil
}

// evidenceAttest is `vigil evidence attest`.
func evidenceAttest(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "evidence attest", "evidence attest --control AC-01 --effective DATE --statement TEXT [--title T]")
	ctl := c.String("control", "", "control id(s), comma-separated")
	eff := c.String("effective", "", "day the statement speaks for")
	stmt := c.String("statement", "", "what you attest")
	title := c.String("title", "", "title")
	if err := c.parse(args); err != nil {
		return err
	}
	body := &api.AttestRequest{Controls: splitList(*ctl), EffectiveStart: vigil.Date(*eff), Statement: *stmt, Title: *title}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.Evidence, error) { return cl.Attest(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "attestation %d recorded, log entry %d\n", e.ID, e.LogIndex)
	return nil
}

// evidenceList is `vigil evidence list`.
func evidenceList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "evidence list", "evidence list [--control ID]")
	ctl := c.String("control", "", "only this control")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListEvidence, nonEmpty("control", *ctl), []string{"ID", "SOURCE", "EFFECTIVE", "REVIEW", "CONTROLS", "TITLE"}, func(e vigil.Evidence) []string {
		return []string{strconv.FormatInt(e.ID, 10), string(e.Source), string(e.EffectiveStart), e.Review, strings.Join(e.Controls, " "), e.Title}
	})
	return err
}

// evidenceGet is `vigil evidence get`.
func evidenceGet(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "evidence get", "evidence get ID -o FILE")
	out := c.String("o", "", "write the bytes to this file")
	id, rest := firstArg(args)
	if err := c.parse(rest); err != nil {
		return err
	}
	if id == "" || *out == "" {
		c.Usage()
		return errUsage
	}
	n, err := argID("id", id)
	if err != nil {
		return err
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	return writeFileAtomic(*out, func(w io.Writer) error { return cl.EvidenceContent(ctx, n, w) })
}

// evidenceReview is `vigil evidence review`.
func evidenceReview(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "evidence review", "evidence review ID --accept | --reject REASON")
	accept := c.Bool("accept", false, "accept the item")
	reject := c.String("reject", "", "reject the item, with this reason")
	id, rest := firstArg(args)
	if err := c.parse(rest); err != nil {
		return err
	}
	state, reason := "accepted", ""
	if *reject != "" {
		state, reason = "rejected", *reject
	} else if !*accept {
		c.Usage()
		return errUsage
	}
	n, err := argID("id", id)
	if err != nil {
		return err
	}
	e, printed, err := call(c, func(cl *client.Client) (*vigil.Evidence, error) {
		return cl.ReviewEvidence(ctx, n, &api.ReviewRequest{State: state, Reason: reason})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "evidence %d %s\n", e.ID, e.Review)
	return nil
}

// evidenceExport is `vigil evidence export`.
func evidenceExport(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "evidence export", "evidence export -o bundle.zip [--control ID]")
	out := c.String("o", "", "bundle file to write")
	ctl := c.String("control", "", "only this control's evidence")
	if err := c.parse(args); err != nil {
		return err
	}
	if *out == "" {
		c.Usage()
		return errUsage
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	q := nonEmpty("control", *ctl)
	if err := writeFileAtomic(*out, func(w io.Writer) error { return cl.ExportEvidence(ctx, q, w) }); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s; check it anywhere with: vigil verify %s --key KEY\n", *out, *out)
	return nil
}

// firstArg splits off a leading positional argument (flags may follow it).
func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// writeFileAtomic writes through a temporary file, so a failed download
// never leaves a half file under the final name.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vigil-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runRequests(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "list", "Usage: vigil requests list | add | update | delete",
		verb{"list", requestsList},
		verb{"update", requestsUpdate},
		verb{"add", requestsAdd},
		verb{"delete", requestsDelete})
}

// requestsList is `vigil requests list`.
func requestsList(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "requests list", "requests list [--control ID]")
	ctl := c.String("control", "", "only this control")
	if err := c.parse(args); err != nil {
		return err
	}
	_, err := listAll(ctx, c, (*client.Client).ListRequests, nonEmpty("control", *ctl), []string{"ID", "CONTROL", "FREQUENCY", "ASSIGNEE", "STATE", "WHY"}, func(r api.RequestView) []string {
		return []string{strconv.FormatInt(r.ID, 10), r.ControlID, string(r.Frequency), r.Assignee, string(r.Signal.Status), r.Signal.Reason}
	})
	return err
}

// requestsUpdate is `vigil requests update`.
func requestsUpdate(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "requests update", "requests update ID [--title T] [--description D] [--grace-days N] [--assignee USER_ID|owner]")
	id, rest := firstArg(args)
	title := c.String("title", "", "what evidence is needed")
	desc := c.String("description", "", "more about it")
	grace := c.Int("grace-days", -1, "days after a period ends before it is overdue")
	assignee := c.String("assignee", "", "the user who must supply it, or 'owner' for whoever owns the control")
	if err := c.parse(rest); err != nil {
		return err
	}
	var patch vigil.RequestPatch
	c.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "title":
			patch.Title = title
		case "description":
			patch.Description = desc
		case "grace-days":
			patch.GraceDays = grace
		}
	})
	switch *assignee {
	case "":
	case "owner":
		patch.AssigneeID = new(int64)
	default:
		n, err := strconv.ParseInt(*assignee, 10, 64)
		if err != nil || n <= 0 {
			return vigil.FieldError("assignee", "--assignee must be a user id or 'owner', not %q", *assignee)
		}
		patch.AssigneeID = &n
	}
	if patch == (vigil.RequestPatch{}) {
		return vigil.FieldError("request", "nothing to change: give --title, --description, --grace-days or --assignee")
	}
	n, err := argID("id", id)
	if err != nil {
		return err
	}
	r, printed, err := call(c, func(cl *client.Client) (*api.RequestView, error) { return cl.UpdateRequest(ctx, n, &patch) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "request %d: %s for %s, assigned to %s\n", r.ID, r.Title, r.ControlID, r.Assignee)
	return nil
}

// requestsAdd is `vigil requests add`.
func requestsAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "requests add", "requests add --control ID --title T --frequency quarterly --start DATE [--grace-days N]")
	ctl := c.String("control", "", "control id")
	title := c.String("title", "", "what evidence is needed")
	freq := c.String("frequency", "", "once, weekly, monthly, quarterly, annual or event")
	start := c.String("start", "", "first period starts on this day")
	// The web form's default too (vigil.DefaultGraceDays).
	grace := c.Int("grace-days", vigil.DefaultGraceDays, "days after a period ends before it is overdue")
	if err := c.parse(args); err != nil {
		return err
	}
	body := &api.NewRequest{ControlID: *ctl, Title: *title, Frequency: vigil.RequestFrequency(*freq), Start: vigil.Date(*start), GraceDays: *grace}
	r, printed, err := call(c, func(cl *client.Client) (*vigil.EvidenceRequest, error) { return cl.CreateRequest(ctx, body) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "request %d: %s for %s, %s\n", r.ID, r.Title, r.ControlID, r.Frequency)
	return nil
}

// requestsDelete is `vigil requests delete`.
func requestsDelete(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "requests delete", "requests delete ID")
	id, rest := firstArg(args)
	if err := c.parse(rest); err != nil {
		return err
	}
	n, err := argID("id", id)
	if err != nil {
		return err
	}
	if err := c.do(func(cl *client.Client) error { return cl.DeleteRequest(ctx, n) }); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "deleted request %s\n", id)
	return nil
}

// runVerify checks an exported bundle offline, or the live store.
func runVerify(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "verify", "verify BUNDLE.zip [--key KEY] | verify --store [--blobs] [--data-dir DIR]")
	storeMode := fs.Bool("store", false, "verify the live store instead of a bundle")
	blobs := fs.Bool("blobs", true, "with --store: read and hash every blob")
	key := fs.String("key", "", "the verifier key to trust (vigil+...); default: the bundle's own, reported")
	dataDir, dbURL := fs.dbFlags()
	s3Bucket := fs.str("s3-bucket", "", "with --store: the bucket the server keeps blobs in")
	s3Prefix := fs.str("s3-prefix", "vigil/", "with --store: its key prefix")
	s3Region := fs.str("s3-region", "", "with --store: its region")
	s3Endpoint := fs.str("s3-endpoint", "", "with --store: an S3-compatible endpoint")
	trustBundleKey := fs.Bool("trust-bundle-key", false, "accept the key inside the bundle (checks consistency only, not who signed)")
	bundle, rest := firstArg(args)
	if err := fs.parse(rest); err != nil {
		return err
	}
	if *storeMode {
		return verifyStore(ctx, env, *dataDir, *dbURL, *blobs, *key, ledger.S3Config{Bucket: *s3Bucket, Prefix: *s3Prefix, Region: *s3Region, Endpoint: *s3Endpoint})
	}
	if bundle == "" {
		fs.Usage()
		return errUsage
	}
	if *key == "" && !*trustBundleKey {
		return fmt.Errorf("give the organization's published verifier key with --key (or --trust-bundle-key to check the bundle against its own key, which proves nothing about who made it)")
	}
	f, err := os.Open(bundle)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep, err := ledger.VerifyBundle(f, st.Size(), *key)
	if err != nil {
		return fmt.Errorf("%s: %w", bundle, err)
	}
	w := env.stdout
	fmt.Fprintf(w, "bundle %s: %d item(s), %d file(s) (%d bytes), %d earlier checkpoint(s), log size %d\nkey: %s\n",
		bundle, rep.Items, rep.Blobs, rep.BlobBytes, rep.Checkpoints, rep.TreeSize, rep.KeySource)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "FAIL %s: %s: %s\n", p.Subject, p.Check, oneLine(p.Detail))
	}
	if !rep.OK {
		return fmt.Errorf("%d check(s) failed", len(rep.Problems))
	}
	if *key == "" {
		fmt.Fprintln(w, "CONSISTENT with the bundle's own key only: compare it with the key the organization publishes")
		return nil
	}
	fmt.Fprintln(w, "OK: every record, proof, signature and file checks out")
	return nil
}

func verifyStore(ctx context.Context, env *cliEnv, dataDir, dbURL string, blobs bool, trusted string, s3 ledger.S3Config) error {
	// Verification only reads: every key, file and directory must already
	// be there. secret.Load, evidence.LoadKey and ledger.NewFSStore would
	// make a missing key or directory, which here would mean verifying a
	// store other than the server's (a mistyped --data-dir) against keys
	// made up on the spot.
	secretEnv, ledgerEnv := env.getenv("VIGIL_SECRET_KEY"), env.getenv("VIGIL_LEDGER_KEY")
	if dbURL == "" || secretEnv == "" || ledgerEnv == "" {
		if st, err := os.Stat(dataDir); dataDir == "" || err != nil || !st.IsDir() {
			if dbURL != "" {
				return fmt.Errorf("data directory %q does not exist: the keys are in the server's --data-dir (or VIGIL_DATA_DIR), or give VIGIL_SECRET_KEY and VIGIL_LEDGER_KEY as the server has them", dataDir)
			}
			return fmt.Errorf("data directory %q does not exist: give the server's --data-dir (or VIGIL_DATA_DIR)", dataDir)
		}
	}
	st, err := openStore(ctx, dataDir, dbURL) // the database first: it is the store
	if err != nil {
		return err
	}
	defer st.Close()
	for _, k := range []struct{ env, file, what string }{
		{secretEnv, secret.KeyFile, "VIGIL_SECRET_KEY"},
		{ledgerEnv, evidence.KeyFile, "VIGIL_LEDGER_KEY"},
	} {
		if k.env != "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dataDir, k.file)); err != nil {
			return fmt.Errorf("no %s in data directory %s: give the server's --data-dir, or %s as the server has it", k.file, dataDir, k.what)
		}
	}
	box, err := secret.Load(dataDir, secretEnv)
	if err != nil {
		return err
	}
	// Blobs on disk are in the data directory's blobs/; without one (blobs
	// in S3, or none stored yet) an empty directory of our own stands in,
	// so that nothing is made in the data directory.
	blobDir := filepath.Join(dataDir, "blobs")
	if _, err := os.Stat(blobDir); err != nil {
		tmp, err := os.MkdirTemp("", "vigil-verify-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		blobDir = tmp
	}
	fsb, err := ledger.NewFSStore(blobDir)
	if err != nil {
		return err
	}
	_, vkey, origin, err := evidence.LoadKey(dataDir, ledgerEnv)
	if err != nil {
		return err
	}
	if trusted != "" {
		vkey = trusted
	}
	var blobStore ledger.BlobStore = fsb
	if s3.Bucket != "" {
		if blobStore, err = ledger.NewS3Store(ctx, s3); err != nil {
			return err
		}
	}
	svc := &evidence.Service{Store: st, Blobs: blobStore, Staging: fsb.TempDir(), Box: box, VerifierKey: vkey, Origin: origin}
	rep, err := svc.Verify(ctx, blobs)
	if err != nil {
		return err
	}
	w := env.stdout
	fmt.Fprintf(w, "store %s: %d log entries, %d checkpoint(s), %d item(s), %d blob(s) (%d bytes) in %s\n",
		st.Where(), rep.Entries, rep.Checkpoints, rep.Items, rep.Blobs, rep.BlobBytes, rep.Took.Round(1e6))
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "FAIL %s: %s: %s\n", p.Subject, p.Check, oneLine(p.Detail))
	}
	if len(rep.Orphans) > 0 {
		fmt.Fprintf(w, "note: %d stored object(s) belong to no item (left by an interrupted upload; serve removes them after an hour)\n", len(rep.Orphans))
	}
	if !rep.OK {
		return fmt.Errorf("%d check(s) failed", len(rep.Problems))
	}
	fmt.Fprintln(w, "OK: the log, its checkpoints, every item and every blob check out")
	return nil
}

// openHashed opens a file to upload with its size and SHA-256, read once
// first so the server can refuse bytes that changed on the way.
func openHashed(path string) (*os.File, int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, "", err
	}
	st, err := f.Stat()
	if err == nil {
		h := sha256.New()
		if _, err = io.Copy(h, f); err == nil {
			if _, err = f.Seek(0, io.SeekStart); err == nil {
				return f, st.Size(), hex.EncodeToString(h.Sum(nil)), nil
			}
		}
	}
	f.Close()
	return nil, 0, "", err
}
