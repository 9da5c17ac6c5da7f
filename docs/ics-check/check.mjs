// Independent check of releasekit's iCalendar export with ical.js (Mozilla's parser,
// used by Thunderbird). It expands every event of an .ics file over [from, to) and
// prints one line per instance: "SUMMARY<TAB>START<TAB>END" in UTC, sorted, in the
// format of calendar/testdata/ics/*.instants.txt, so the two can be compared with diff.
//
//   cd /tmp/x && npm install ical.js
//   NODE_PATH=/tmp/x/node_modules node docs/ics-check/check.mjs \
//       calendar/testdata/ics/export.ics 2026-01-01T00:00:00Z 2028-01-01T00:00:00Z \
//     | diff - calendar/testdata/ics/export.instants.txt
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const require = createRequire(import.meta.url);
const ICAL = require("ical.js");

const [file, fromArg, toArg] = process.argv.slice(2);
const from = Date.parse(fromArg), to = Date.parse(toArg);
const comp = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
for (const tz of comp.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(tz));
}
const events = comp.getAllSubcomponents("vevent");
const masters = new Map();
for (const ve of events) {
  if (ve.hasProperty("recurrence-id")) continue;
  // exceptions: [] stops ical.js from relating every RECURRENCE-ID of the calendar to
  // this event whatever its UID (its default without strictExceptions); relate by UID below.
  masters.set(ve.getFirstPropertyValue("uid"), new ICAL.Event(ve, { strictExceptions: true, exceptions: [] }));
}
for (const ve of events) {
  if (!ve.hasProperty("recurrence-id")) continue;
  masters.get(ve.getFirstPropertyValue("uid")).relateException(new ICAL.Event(ve, { exceptions: [] }));
}
const iso = (ms) => new Date(ms).toISOString().replace(".000", "");
const out = [];
for (const ev of masters.values()) {
  if (!ev.isRecurring()) {
    const s = ev.startDate.toJSDate().getTime(), e = ev.endDate.toJSDate().getTime();
    if (e > from && s < to) out.push(`${ev.summary}\t${iso(s)}\t${iso(e)}`);
    continue;
  }
  const it = ev.iterator();
  for (let next = it.next(), n = 0; next && n < 100000; next = it.next(), n++) {
    const d = ev.getOccurrenceDetails(next);
    const s = d.startDate.toJSDate().getTime(), e = d.endDate.toJSDate().getTime();
    if (s >= to + 86400000 * 3) break;
    if (e > from && s < to) out.push(`${ev.summary}\t${iso(s)}\t${iso(e)}`);
  }
}
out.sort();
console.log(out.join("\n"));
