package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progressMinBytes is the input size from which --progress auto draws.
const progressMinBytes = 1 << 20

// progressInterval is the least time between two redraws.
const progressInterval = 100 * time.Millisecond

// isTerminal reports whether w is a character device (a terminal), so
// redrawing a line with \r shows as a progress bar rather than as noise
// in a log file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// wantProgress applies --progress: "always", "never", or "auto" (a
// terminal and an input of at least progressMinBytes).
func wantProgress(mode string, stderr io.Writer, size int) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return size >= progressMinBytes && isTerminal(stderr), nil
	}
	return false, usageErr("--progress %q: want auto, always or never", mode)
}

// progress draws "uploading  42%  1.4 MiB / 3.3 MiB" on one line,
// redrawn with \r, then "waiting for inclusion" once the body is sent.
// The HTTP transport reads the body on its own goroutine, so every draw
// holds mu.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	total   int64
	sent    int64
	last    time.Time
	width   int  // length of the line drawn last, to blank what is left
	waiting bool // the upload finished and the wait line is drawn
	done    bool
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: total}
}

// reader counts what the transport reads from r, an encoding in wire
// bytes of the total bytes being uploaded, in those bytes: the user
// knows the file's size, not its size in base64.
func (p *progress) reader(r io.Reader, wire int64) io.Reader {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &countingReader{r: r, p: p, wire: wire, total: p.total}
}

type countingReader struct {
	r           io.Reader
	p           *progress
	wire, total int64 // sizes of r and of what it encodes
	read, shown int64 // bytes read from r, and what they count for
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.read += int64(n)
	shown := c.total
	if c.read < c.wire {
		shown = c.read * c.total / c.wire
	}
	c.p.add(shown-c.shown, err == io.EOF)
	c.shown = shown
	return n, err
}

// restart starts counting an attempt at an upload of total bytes.
func (p *progress) restart(total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	if p.waiting {
		fmt.Fprintln(p.w)
		p.waiting, p.width = false, 0
	}
	p.total, p.sent, p.last = total, 0, time.Time{}
}

func (p *progress) add(n int64, eof bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || p.waiting {
		return
	}
	p.sent += n
	finished := eof || p.sent >= p.total
	now := time.Now()
	if !finished && now.Sub(p.last) < progressInterval {
		return
	}
	p.last = now
	pct := 100
	if p.total > 0 {
		pct = int(p.sent * 100 / p.total)
	}
	p.draw(fmt.Sprintf("uploading %3d%%  %s / %s", pct, byteSize(p.sent), byteSize(p.total)))
	if finished {
		fmt.Fprintln(p.w)
		p.width = 0
		p.waiting = true
		p.draw("waiting for inclusion...")
	}
}

// note replaces the line with a message (a retry, say) and starts a new
// one for the next attempt.
func (p *progress) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.draw(msg)
	fmt.Fprintln(p.w)
	p.width, p.waiting = 0, false
}

// finish ends the drawing with a newline; later reads draw nothing.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.width > 0 {
		fmt.Fprintln(p.w)
	}
}

// draw rewrites the current line; the caller holds mu.
func (p *progress) draw(line string) {
	pad := max(p.width-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
	p.width = len(line)
}

// byteSize writes n in B, KiB or MiB with one decimal.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
