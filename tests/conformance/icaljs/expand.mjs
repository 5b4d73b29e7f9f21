// Read calendar feeds with Mozilla's ical.js, the parser inside Thunderbird, and
// print every occurrence they hold, so that the Python tests can compare them with
// what other parsers and the database say.
//
// Input on stdin, as JSON: {"until": "2100-01-01T00:00:00Z", "feeds": {"name": "ics
// text", ...}}. Output on stdout, as JSON: {"name": {"occurrences": [...]}, ...},
// where an occurrence is {uid, start, end, summary, status}; timed starts and ends
// are UTC instants written as 2026-11-01T08:30:00Z, whole days as 2026-11-05. A
// feed that ical.js cannot read, or a time in a zone the feed does not define,
// gives {"error": "..."} instead.

import ICAL from "ical.js";

const MAX_OCCURRENCES = 10000;

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

// A timed value must be in UTC or in a zone that the feed itself defines: that is
// all a calendar app can rely on.
function written(time, what) {
  if (time.isDate) {
    return time.toString();
  }
  const zone = time.zone;
  if (!zone || zone === ICAL.Timezone.localTimezone) {
    throw new Error(`${what}: ${time.toString()} has no time zone ical.js knows`);
  }
  if (zone.tzid !== "UTC" && !zone.component) {
    throw new Error(`${what}: zone ${zone.tzid} has no VTIMEZONE in the feed`);
  }
  const instant = time.convertToZone(ICAL.Timezone.utcTimezone);
  return instant.toString().slice(0, 19) + "Z";
}

function occurrence(uid, item, start, end) {
  return {
    uid,
    start: written(start, `${uid} start`),
    end: written(end, `${uid} end`),
    summary: item.summary,
    status: item.component.getFirstPropertyValue("status") || "",
  };
}

function expandFeed(text, until) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const masters = new Map();
  const exceptions = [];

  for (const component of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(component);
    if (event.isRecurrenceException()) {
      exceptions.push(event);
    } else if (masters.has(event.uid)) {
      throw new Error(`UID ${event.uid} is used by two events`);
    } else {
      masters.set(event.uid, event);
    }
  }
  for (const exception of exceptions) {
    const master = masters.get(exception.uid);
    if (!master) {
      throw new Error(`override of ${exception.uid} has no series to belong to`);
    }
    master.relateException(exception);
  }

  const occurrences = [];
  for (const [uid, event] of masters) {
    if (!event.isRecurring()) {
      occurrences.push(occurrence(uid, event, event.startDate, event.endDate));
      continue;
    }
    const iterator = event.iterator();
    let next;
    let count = 0;
    while ((next = iterator.next()) && next.compare(until) < 0) {
      if (++count > MAX_OCCURRENCES) {
        throw new Error(`series ${uid} has more than ${MAX_OCCURRENCES} occurrences`);
      }
      const details = event.getOccurrenceDetails(next);
      occurrences.push(occurrence(uid, details.item, details.startDate, details.endDate));
    }
  }
  return occurrences;
}

const request = JSON.parse(await readStdin());
const until = ICAL.Time.fromDateTimeString(request.until);
const result = {};
for (const [name, text] of Object.entries(request.feeds)) {
  try {
    result[name] = { occurrences: expandFeed(text, until) };
  } catch (error) {
    result[name] = { error: String(error && error.stack ? error.stack : error) };
  }
}
process.stdout.write(JSON.stringify(result));
