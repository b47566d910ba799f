package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// keepaliveInterval is how often an idle event stream gets a comment line,
// so proxies and clients do not drop it. A variable so tests can shorten it.
var keepaliveInterval = 15 * time.Second

// GET /v1/events?from=H[&types=header,availability,fraud] (API.md §2):
// Server-Sent Events, one per api.Event:
//
//	id: <cursor, or the height>
//	event: <type>
//	data: <one-line JSON with "height">
//
// Where to start: a Last-Event-ID header (sent by an EventSource that
// reconnects, with its original URL) wins over from. A cursor id resumes
// right after that event, so verdicts that came late for older heights
// are not lost; a plain height id resumes at height + 1. Otherwise from;
// with neither, the stream starts after the current network head (new
// events only). Bad parameters are answered 400 in the JSON error shape
// before the stream starts.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	from, after, types, err := eventsQuery(r)
	if err == nil && s.svc.Availability == nil {
		err = ErrNotServed
	}
	resumer, canResume := s.svc.Availability.(EventResumer)
	if err == nil && after != nil && !canResume {
		from = max(after.Floor, 1) // the backend has no log: replay from the floor
	}
	if err == nil && from == 0 && after == nil {
		var sum AvailabilitySummary
		if sum, err = s.svc.Availability.Summary(r.Context()); err == nil {
			from = sum.NetworkHead + 1
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // also tells the backend to close the channel
	var ch <-chan Event
	switch {
	case err != nil:
	case after != nil && canResume:
		ch, err = resumer.EventsAfter(ctx, *after, types)
	default:
		ch, err = s.svc.Availability.Events(ctx, from, types)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}
	keepalive := time.NewTicker(keepaliveInterval)
	defer keepalive.Stop()
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return
		case <-keepalive.C:
			if _, err := w.Write([]byte(": keepalive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case ev, ok := <-ch:
			if !ok {
				return
			}
			buf.Reset()
			if err := encodeEvent(&buf, ev); err != nil {
				// A body that does not encode is the backend's bug; one
				// lost event is better than a dead stream, but say so.
				s.log.Error("event stream: dropping an event", "type", ev.Type, "height", ev.Height, "err", err)
				continue
			}
			if _, err := w.Write(buf.Bytes()); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// eventsQuery parses where to start (a height, 0 when not given, or a
// cursor) and the types wanted (nil: all).
func eventsQuery(r *http.Request) (uint64, *EventCursor, map[string]bool, error) {
	q := r.URL.Query()
	var types map[string]bool
	if q.Has("types") {
		types = map[string]bool{}
		for _, t := range strings.Split(q.Get("types"), ",") {
			switch t = strings.TrimSpace(t); t {
			case EventHeader, EventAvailability, EventFraud:
				types[t] = true
			default:
				return 0, nil, nil, badRequest("bad_types", fmt.Errorf("types %q: want a comma-separated list of %s, %s, %s",
					q.Get("types"), EventHeader, EventAvailability, EventFraud))
			}
		}
	}
	if id := strings.TrimSpace(r.Header.Get("Last-Event-ID")); id != "" {
		if strings.Contains(id, "-") {
			c, err := ParseEventCursor(id)
			if err != nil {
				return 0, nil, nil, badRequest("bad_last_event_id", fmt.Errorf("Last-Event-ID %q: %v", id, err))
			}
			return 0, &c, types, nil
		}
		last, err := strconv.ParseUint(id, 10, 64)
		if err != nil || last == math.MaxUint64 {
			return 0, nil, nil, badRequest("bad_last_event_id", fmt.Errorf("Last-Event-ID %q: want the id of the last event received", id))
		}
		return last + 1, nil, types, nil
	}
	if q.Has("from") {
		v := q.Get("from")
		from, err := strconv.ParseUint(v, 10, 64)
		if err != nil || from == 0 {
			return 0, nil, nil, badRequest("bad_from", fmt.Errorf("from %q: want a positive height", v))
		}
		return from, nil, types, nil
	}
	return 0, nil, types, nil
}

// EventCursor is the SSE id of an event from a backend with an event log:
// "<floor>-<seq>-<boot>". Seq is the event's place in the log of the
// backend instance named Boot (empty for events replayed from storage,
// which have no place in it); Floor is the lowest height whose events
// could still change when the event was sent, so a backend that no
// longer holds Seq replays from there and nothing is missed.
type EventCursor struct {
	Floor, Seq uint64
	Boot       string
}

// maxBootLen bounds a cursor's instance name.
const maxBootLen = 32

func (c EventCursor) String() string {
	return strconv.FormatUint(c.Floor, 10) + "-" + strconv.FormatUint(c.Seq, 10) + "-" + c.Boot
}

// ParseEventCursor reads a cursor written by EventCursor.String.
func ParseEventCursor(s string) (EventCursor, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return EventCursor{}, errors.New("want <floor>-<seq>-<boot>")
	}
	floor, err1 := strconv.ParseUint(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return EventCursor{}, errors.New("floor and seq must be decimal numbers")
	}
	boot := parts[2]
	if len(boot) > maxBootLen || strings.Trim(boot, "0123456789abcdef") != "" {
		return EventCursor{}, fmt.Errorf("boot must be at most %d lowercase hex characters", maxBootLen)
	}
	return EventCursor{Floor: floor, Seq: seq, Boot: boot}, nil
}

// encodeEvent writes one event. Its data is Data as one line of JSON
// with "height" added when the object lacks it.
func encodeEvent(buf *bytes.Buffer, ev Event) error {
	if ev.Type == "" || strings.ContainsAny(ev.Type, "\r\n") {
		return fmt.Errorf("event type %q cannot be sent", ev.Type)
	}
	data, err := eventData(ev)
	if err != nil {
		return err
	}
	id := ev.ID
	if id == "" {
		id = strconv.FormatUint(ev.Height, 10)
	} else if strings.ContainsAny(id, "\r\n") {
		return fmt.Errorf("event id %q cannot be sent", id)
	}
	fmt.Fprintf(buf, "id: %s\nevent: %s\ndata: %s\n\n", id, ev.Type, data)
	return nil
}

func eventData(ev Event) ([]byte, error) {
	if ev.Data == nil {
		return json.Marshal(map[string]uint64{"height": ev.Height})
	}
	raw, err := json.Marshal(ev.Data) // compact: never a newline
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		// Not an object: wrap it so the data still names its height.
		return json.Marshal(struct {
			Height uint64          `json:"height"`
			Data   json.RawMessage `json:"data"`
		}{ev.Height, raw})
	}
	if h, ok := obj["height"]; ok {
		var got uint64
		if json.Unmarshal(h, &got) != nil || got != ev.Height {
			return nil, errors.New("the body's height differs from the event's")
		}
		return raw, nil
	}
	obj["height"] = json.RawMessage(strconv.FormatUint(ev.Height, 10))
	return json.Marshal(obj)
}
