package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Readers, writers and Prune at once: run with -race. Every read either
// finds the exact square or ErrNotFound (pruned), never anything else.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{Window: 8 * blockTime})
	blocks := testChain(1, 40, 4, [32]byte{})
	for _, b := range blocks {
		if err := s.PutHeader(ctx, b.header); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < len(blocks); i += 2 {
				b := blocks[i]
				if err := s.PutSquare(ctx, b.header.Height, b.header.DataRoot, b.ods); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for _, b := range blocks {
			if _, err := s.Prune(ctx, b.header.Time); err != nil {
				errs <- err
			}
		}
	})
	wg.Go(func() {
		for range 3 {
			for _, b := range blocks {
				ods, root, err := s.Square(ctx, b.header.Height)
				if err != nil {
					if !errorsIsNotFound(err) {
						errs <- err
					}
					continue
				}
				if root != b.header.DataRoot || testRoot(ods) != root {
					errs <- fmt.Errorf("square %d read back wrong", b.header.Height)
				}
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Once everyone is done, a final prune leaves exactly the window.
	if _, err := s.Prune(ctx, blocks[39].header.Time); err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for h := uint64(32); h <= 40; h++ {
		want = append(want, h)
	}
	assertSquareDir(t, s, want)
}

func errorsIsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
