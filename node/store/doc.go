// Package store is a node's persistent storage (DESIGN.md §6): signed
// headers, original data squares, and small records of other subsystems
// (sampling verdicts and checkpoints, the peerstore). It is the one place
// under node that touches the disk; da, erasure and sampling never import
// it, and it imports nothing of Tartan above da.
//
// # Layout
//
// A store lives in one data directory:
//
//	DIR/meta/                    leveldb (go-ds-leveldb) behind go-datastore
//	DIR/squares/<height>.ods     one original data square per height
//
// <height> is 16 lowercase hex digits, so names sort by height. A square
// file is the raw ODS: k² shares of 512 bytes, row-major, nothing else (the
// format `tartan square roots FILE` reads). Only the ODS is stored, a
// quarter of the EDS; callers that serve parity recompute the EDS with
// erasure.Extend, which costs far less than reading four times the bytes
// back from disk would save. Datastore keys:
//
//	/hdr/<height>     the header, da.Header.MarshalBinary
//	/hash/<hex hash>  the header's height, 8 bytes big-endian
//	/head             the stored head (see Head), 8 bytes big-endian
//	/sq/<height>      the square's index record: width, data root, header
//	                  time, file length and checksum (CRC-32C; SHA-256 in
//	                  records written before)
//	/meta/<key>       PutMeta records
//	/ns/<name>/…      Namespace datastores
//
// # What the store checks, and what it does not
//
// The store keeps what it is given. It does not verify header signatures
// or that a header follows its predecessor, and it does not recompute a
// square's data root: the node verifies before it stores. It does refuse a
// second, different header at a stored height (ErrConflict), a square whose
// width or data root disagrees with the stored header at its height
// (ErrConflict), and a square whose header it has not stored (ErrNotFound);
// and it checks on every read that a square file has exactly the length and
// checksum recorded when it was written (ErrCorrupt otherwise).
//
// # Crashes
//
// A square is written to a temporary file in the squares directory, synced,
// renamed to its final name, and the directory is synced; only then is its
// index record written. Header writes are single leveldb batches with
// synchronous writes. So after a kill at any instant an index record always
// names a complete file, and a file without a record was never
// acknowledged. Rewriting a stored square with the same bytes keeps its
// record (the rename swaps equal contents), so a crash during a rewrite
// loses nothing; different bytes drop the old record before the rename.
// Open restores that state: it deletes temporary files, drops index records
// whose file is missing or has the wrong length (or that do not decode),
// and deletes square files that have no record. A file whose length is
// right but whose bytes are not (a torn or rotten sector) is caught by the
// checksum on every read, and writing the square again repairs it.
//
// After a restart Head says where header sync resumes. A height whose
// header was stored but whose square was not (killed in between) has
// HasSquare false: the node fetches such squares again.
//
// # Storage window
//
// Config.Window (default seven days) bounds the squares kept: Prune deletes
// the squares whose header time is strictly before now − Window, record
// first and file second, so a crash in the middle leaves an orphan file
// that the next Open deletes. Headers are kept for ever: they are a few
// hundred bytes a block and let the node answer for pruned heights (status
// `pruned`, not `404`). Config.Archival keeps every square.
//
// A Store is safe for concurrent use. It starts no goroutines; the node
// calls Prune on its own schedule.
package store
