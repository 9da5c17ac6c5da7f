package calfile

import _ "embed"

//go:embed releasekit-calendar.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the calendar file format, for
// editors: the YAML language server validates and completes a file that starts with
//
//	# yaml-language-server: $schema=releasekit-calendar.schema.json
//
// (a path relative to the file, or a URL). `releasekit schema` prints it. The schema
// checks the shape of a file; [Load] checks everything, the meaning of every RRULE and
// time included. It returns a copy.
func Schema() []byte { return append([]byte(nil), schema...) }
