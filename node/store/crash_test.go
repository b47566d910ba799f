package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	dsq "github.com/ipfs/go-datastore/query"
)

// crashChildEnv, set to a data directory, makes TestCrashChild a writer
// that TestKilledWriter kills.
const crashChildEnv = "TARTAN_STORE_CRASH_CHILD"

// crashWindow is the storage window of the killed writer: with one header
// a minute it keeps about 12 squares.
const crashWindow = 12 * blockTime

// crashWidth varies the square width with the height, so kills land in
// writes of different lengths (a k=64 square is 2 MiB).
func crashWidth(h uint64) int { return []int{1, 4, 16, 64, 2, 32}[h%6] }

// TestCrashChild is not a test on its own: run by TestKilledWriter in a
// child process, it resumes the chain from the stored head and writes
// headers, squares, rewrites, metadata and prunes until it is killed,
// printing "ack H" once height H is fully written.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("helper process of TestKilledWriter")
	}
	ctx := context.Background()
	s, err := Open(ctx, dir, Config{Window: crashWindow})
	if err != nil {
		t.Fatal(err)
	}
	var next uint64 = 1
	var prev [32]byte
	if head, err := s.Head(ctx); err == nil {
		next, prev = head.Height+1, head.Hash()
		// Resume as a full node does: fetch again the squares inside the
		// window whose header was stored but not the square (killed in
		// between).
		for h := head.Height; h >= 1; h-- {
			hd, err := s.Header(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if hd.Time.Before(head.Time.Add(-crashWindow)) {
				break
			}
			if ok, err := s.HasSquare(ctx, h); err != nil {
				t.Fatal(err)
			} else if !ok {
				ods := testODS(h, crashWidth(h))
				if err := s.PutSquare(ctx, h, hd.DataRoot, ods); err != nil {
					t.Fatal(err)
				}
			}
		}
	} else if !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for h := next; time.Now().Before(deadline); h++ {
		ods := testODS(h, crashWidth(h))
		hd := testHeader(h, crashWidth(h), testRoot(ods), prev)
		prev = hd.Hash()
		if err := s.PutHeader(ctx, hd); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSquare(ctx, h, hd.DataRoot, ods); err != nil {
			t.Fatal(err)
		}
		if h%5 == 0 && h > 1 {
			// Rewrite the previous square: a kill may land between the
			// record's removal and its rewrite.
			old := testODS(h-1, crashWidth(h-1))
			if err := s.PutSquare(ctx, h-1, testRoot(old), old); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutMeta(ctx, "crash/acked", []byte(strconv.FormatUint(h, 10))); err != nil {
			t.Fatal(err)
		}
		if h%3 == 0 {
			if _, err := s.Prune(ctx, hd.Time); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Printf("ack %d\n", h)
	}
	t.Fatal("TestCrashChild ran for 30 s without being killed")
}

// TestKilledWriter kills (SIGKILL) a process writing to a store at several
// arbitrary instants; after each kill the store must open, keep everything
// acknowledged, hold only squares that verify, hold no temporary or
// unindexed file, and let the writer resume from its head.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a writer process for about a second")
	}
	dir := t.TempDir()
	ctx := context.Background()
	var acked uint64
	delays := []time.Duration{0, 37 * time.Millisecond, 110 * time.Millisecond, 230 * time.Millisecond, 5 * time.Millisecond, 400 * time.Millisecond}
	for round, delay := range delays {
		last := killWriter(t, dir, delay)
		if last > acked {
			acked = last
		}

		var repairs strings.Builder
		log := slog.New(slog.NewTextHandler(&repairs, nil))
		s, err := Open(ctx, dir, Config{Window: crashWindow, Logger: log})
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		head, err := s.Head(ctx)
		if err != nil {
			t.Fatalf("round %d: Head: %v", round, err)
		}
		if head.Height < acked {
			t.Fatalf("round %d: head %d, but %d was acknowledged", round, head.Height, acked)
		}
		// The stored chain links up and every header keeps its fields
		// and certificate.
		var prevHdr = head
		for h := head.Height; h >= 1; h-- {
			hd, err := s.Header(ctx, h)
			if err != nil {
				t.Fatalf("round %d: Header(%d): %v", round, h, err)
			}
			if err := checkCertified(hd); err != nil {
				t.Fatalf("round %d: header %d: %v", round, h, err)
			}
			if h < head.Height {
				if err := prevHdr.VerifySuccessor(hd); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			prevHdr = hd
		}
		// Every acknowledged square inside the window survived (the
		// writer prunes with its head's time at the latest).
		for h := acked; h >= 1; h-- {
			hd, _ := s.Header(ctx, h)
			if hd.Time.Before(head.Time.Add(-crashWindow)) {
				break
			}
			if ok, err := s.HasSquare(ctx, h); err != nil || !ok {
				t.Fatalf("round %d: acknowledged square %d (inside the window) is gone: %v", round, h, err)
			}
		}
		// Every indexed square reads back, verified, with the right bytes;
		// the directory holds exactly the indexed squares.
		res, err := s.ds.Query(ctx, dsq.Query{Prefix: sqPrefix, KeysOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := res.Rest()
		var indexed []uint64
		for _, e := range entries {
			h, _ := parseHeightName(e.Key[len(sqPrefix)+1:])
			indexed = append(indexed, h)
			ods, root, err := s.Square(ctx, h)
			if err != nil {
				t.Fatalf("round %d: indexed square %d: %v", round, h, err)
			}
			want := testODS(h, crashWidth(h))
			if root != testRoot(want) || testRoot(ods) != root {
				t.Fatalf("round %d: square %d has the wrong content", round, h)
			}
		}
		assertSquareDir(t, s, indexed)
		t.Logf("round %d: killed after %v; %d acknowledged, head %d, %d squares stored; recovery: %q",
			round, delay, acked, head.Height, len(indexed), repairs.String())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if acked < 20 {
		t.Fatalf("the writer acknowledged only %d heights in %d rounds: the kills tested little", acked, len(delays))
	}
}

// killWriter runs TestCrashChild on dir, lets it acknowledge a few heights
// and run for delay more, SIGKILLs it and returns the last height it
// acknowledged.
func killWriter(t *testing.T, dir string, delay time.Duration) uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks := make(chan uint64)
	go func() {
		defer close(acks)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if h, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				n, _ := strconv.ParseUint(h, 10, 64)
				acks <- n
			}
		}
	}()
	var last uint64
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	// Wait for a few acknowledgements so the writer is past Open.
	for n := 0; n < 3; n++ {
		select {
		case h, ok := <-acks:
			if !ok {
				cmd.Wait()
				t.Fatalf("the writer exited early: %s", stderr.String())
			}
			last = h
		case <-timer.C:
			cmd.Process.Kill()
			t.Fatal("the writer acknowledged nothing in 20 s")
		}
	}
	kill := time.After(delay)
	for done := false; !done; {
		select {
		case h, ok := <-acks:
			if !ok {
				cmd.Wait()
				t.Fatalf("the writer exited before it was killed: %s", stderr.String())
			}
			last = h
		case <-kill:
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			done = true
		}
	}
	// Acknowledgements printed before the kill still count.
	for h := range acks {
		last = h
	}
	cmd.Wait()
	return last
}
