// Package checkpointfile publishes release checkpoints to a file: one JSON object per
// line, appended and synced, the form [release.ReadCheckpoints] reads. It is the
// simplest [release.CheckpointSink]: point it at a path the database's
// administrators cannot write (another machine's mount, a directory a backup job
// copies to write-once storage), or use it as the model for a sink of your own.
//
// A [Sink] compares and swaps within its process (a mutex) and across processes by
// the file's length: a publisher that finds lines it did not read refuses with
// release.ErrConflict and the engine reads them and tries again. Two processes that
// append in the same instant can still both write; give one engine the checkpoints,
// or a sink with a real compare-and-swap (object storage's conditional writes, a
// database outside the audited one), when several replicas run.
//
// A line cut short by a crash is ignored by [Sink.Checkpoints] and removed by the
// next [Sink.Publish].
package checkpointfile
