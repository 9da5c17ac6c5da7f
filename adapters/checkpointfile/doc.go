// Package checkpointfile publishes release checkpoints to a file: one JSON object per
// line, appended and synced, the form [release.ReadCheckpoints] reads. It is the
// simplest [release.CheckpointSink]: point it at a path the database's
// administrators cannot write (another machine's mount, a directory a backup job
// copies to write-once storage), or use it as the model for a sink of your own.
//
// A [Sink] publishes compare-and-swap: under a mutex and, on Unix, an exclusive
// advisory lock on the file (flock), it reads the file's last checkpoint and refuses
// with release.ErrStale one that does not extend it; the engine then reads what
// was published and tries again. So several engines on one machine may share a file.
// Across machines (a network file system, where advisory locks may not hold) use a
// sink with a real compare-and-swap instead: object storage's conditional writes, a
// database outside the audited one.
//
// A line cut short by a crash is ignored by [Sink.Checkpoints] and removed by the
// next [Sink.Publish].
package checkpointfile
