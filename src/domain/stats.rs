//! A post's readership over time: the series `GET /posts/{id}/stats` answers, built from the clicks kept by
//! UTC hour (and, past the retention, by UTC day), bucketed by hour, day or ISO week in a time zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset as _, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::InvalidValue;

/// The most points one series may have.
pub const MAX_POINTS: usize = 400;

/// How many intervals a series covers when `from` is not given.
pub const DEFAULT_POINTS: i64 = 30;

/// The width of a series' buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Hour,
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
}

impl Interval {
    fn parse(raw: &str) -> Result<Self, InvalidValue> {
        match raw {
            "hour" => Ok(Interval::Hour),
            "day" => Ok(Interval::Day),
            "week" => Ok(Interval::Week),
            _ => Err(InvalidValue::new(
                "interval",
                format!(
                    "must be hour, day or week, got `{}`",
                    super::id::truncate(raw)
                ),
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
        }
    }
}

/// A validated stats request: the buckets' starts (UTC instants, in order) and where the last one ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRange {
    pub interval: Interval,
    pub tz: Tz,
    /// The start of the first bucket.
    first: DateTime<Utc>,
    /// The start of each bucket (the first one's too); bucket `i` ends where `i + 1` starts (the last at
    /// `end`).
    starts: Vec<DateTime<Utc>>,
    end: DateTime<Utc>,
}

/// A range as asked (`from`, `to`, `interval`, `tz`), unparsed: what it means depends on "now".
#[derive(Debug, Clone, Default)]
pub struct RangeParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    pub tz: Option<String>,
}

impl RangeParams {
    /// The range these parameters name at `now` (see [`StatsRange::parse`]).
    pub fn at(&self, now: NaiveDateTime) -> Result<StatsRange, InvalidValue> {
        StatsRange::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.interval.as_deref(),
            self.tz.as_deref(),
            now,
        )
    }
}

impl StatsRange {
    /// `from`, `to` (RFC 3339 instants, or dates meaning midnight in `tz`), `interval` (default `day`) and
    /// `tz` (an IANA name, default `UTC`), as given. `to` defaults to `now`, `from` to [`DEFAULT_POINTS`]
    /// intervals before it. `from` is moved back to the start of its bucket; the last bucket is the one
    /// `to` falls in (`to` itself excluded). More than [`MAX_POINTS`] buckets is refused.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        interval: Option<&str>,
        tz: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<Self, InvalidValue> {
        let interval = interval.map_or(Ok(Interval::Day), Interval::parse)?;
        let tz: Tz = match tz {
            None => Tz::UTC,
            Some(raw) => raw.parse().map_err(|_| {
                InvalidValue::new(
                    "tz",
                    format!(
                        "not a time zone name like Europe/Paris or UTC: `{}`",
                        super::id::truncate(raw)
                    ),
                )
            })?,
        };
        let to = match to {
            None => now.and_utc(),
            Some(raw) => instant("to", raw, tz)?,
        };
        let from = match from {
            None => step_back(to, interval, DEFAULT_POINTS, tz),
            Some(raw) => instant("from", raw, tz)?,
        };
        if from >= to {
            return Err(InvalidValue::new("from", "must be before `to`"));
        }
        let first = bucket_start(from, interval, tz);
        let (mut starts, mut last) = (vec![first], first);
        loop {
            let next = next_start(last, interval, tz);
            if next >= to {
                break;
            }
            if starts.len() == MAX_POINTS {
                return Err(InvalidValue::new(
                    "from",
                    format!(
                        "the range holds more than {MAX_POINTS} {}s: narrow it or use a longer interval",
                        interval.name()
                    ),
                ));
            }
            starts.push(next);
            last = next;
        }
        let end = next_start(last, interval, tz);
        Ok(StatsRange {
            interval,
            tz,
            first,
            starts,
            end,
        })
    }

    /// The UTC hours whose clicks the series needs: `[first, last)`.
    pub fn hours(&self) -> (i64, i64) {
        let first = self.first.timestamp().div_euclid(3600);
        let last = (self.end.timestamp() + 3599).div_euclid(3600);
        (first, last)
    }

    /// The UTC days whose rolled-up clicks the series needs: `[first, last)`.
    pub fn days(&self) -> (i64, i64) {
        let first = self.first.timestamp().div_euclid(86_400);
        let last = (self.end.timestamp() + 86_399).div_euclid(86_400);
        (first, last)
    }

    /// For day and week buckets: the UTC days (days since the epoch) whose start falls in each bucket, whose
    /// readers the bucket's unique readers are. `None` for hours (readers are kept by day).
    pub fn reader_days(&self) -> Option<Vec<Vec<i64>>> {
        if self.interval == Interval::Hour {
            return None;
        }
        let ends = self.starts.iter().skip(1).chain(std::iter::once(&self.end));
        Some(
            self.starts
                .iter()
                .zip(ends)
                .map(|(start, end)| {
                    let first = (start.timestamp() + 86_399).div_euclid(86_400);
                    let last = (end.timestamp() + 86_399).div_euclid(86_400);
                    (first..last).collect()
                })
                .collect(),
        )
    }

    /// The series: every bucket, zero-filled, with the clicks of the UTC hours (and rolled-up UTC days)
    /// whose start falls in it, and its unique readers when known (one per bucket, in order).
    pub fn series(
        &self,
        hours: &[(i64, i64)],
        days: &[(i64, i64)],
        readers: Option<Vec<u64>>,
    ) -> PostStats {
        let readers = readers.filter(|readers| readers.len() == self.starts.len());
        let mut clicks = vec![0_i64; self.starts.len()];
        let counted = hours
            .iter()
            .map(|(hour, count)| (hour * 3600, count))
            .chain(days.iter().map(|(day, count)| (day * 86_400, count)));
        for (second, count) in counted {
            let Some(at) = DateTime::<Utc>::from_timestamp(second, 0) else {
                continue;
            };
            if at < self.first || at >= self.end {
                continue;
            }
            let after = self.starts.partition_point(|start| *start <= at);
            if let Some(bucket) = after.checked_sub(1).and_then(|index| clicks.get_mut(index)) {
                *bucket += count;
            }
        }
        let local = |at: DateTime<Utc>| at.with_timezone(&self.tz).fixed_offset();
        PostStats {
            meta: StatsMeta {
                from: local(self.first),
                to: local(self.end),
                interval: self.interval,
                tz: self.tz.name().to_owned(),
                total: clicks.iter().sum(),
            },
            data: self
                .starts
                .iter()
                .zip(clicks)
                .enumerate()
                .map(|(index, (start, clicks))| StatsPoint {
                    start: local(*start),
                    clicks,
                    unique_readers: readers
                        .as_ref()
                        .and_then(|readers| readers.get(index).copied()),
                })
                .collect(),
        }
    }
}

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"start": "2026-06-01T00:00:00+02:00", "clicks": 42, "unique_readers": 30}))]
pub struct StatsPoint {
    /// Where the bucket starts, in the requested time zone.
    #[schema(value_type = String, format = DateTime)]
    pub start: DateTime<chrono::FixedOffset>,
    /// Clicks made in the bucket.
    pub clicks: i64,
    /// About how many different readers made them (HyperLogLog, about 1% off), counted over the UTC days
    /// that start in the bucket; null for hourly buckets and while the click cache is down.
    pub unique_readers: Option<u64>,
}

/// What a series covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatsMeta {
    /// The first bucket's start.
    #[schema(value_type = String, format = DateTime)]
    pub from: DateTime<chrono::FixedOffset>,
    /// Where the last bucket ends.
    #[schema(value_type = String, format = DateTime)]
    pub to: DateTime<chrono::FixedOffset>,
    pub interval: Interval,
    /// The IANA time zone the buckets follow.
    pub tz: String,
    /// The clicks of every bucket together.
    pub total: i64,
}

/// A post's clicks over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PostStats {
    pub data: Vec<StatsPoint>,
    pub meta: StatsMeta,
}

/// `raw` as an instant: RFC 3339, or a date meaning its midnight in `tz`.
fn instant(name: &str, raw: &str, tz: Tz) -> Result<DateTime<Utc>, InvalidValue> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(midnight(date, tz));
    }
    Err(InvalidValue::new(
        name,
        format!(
            "must be an RFC 3339 instant (2026-06-01T00:00:00Z) or a date (2026-06-01), got `{}`",
            super::id::truncate(raw)
        ),
    ))
}

/// The first instant of `date` in `tz` (midnight, or the first instant after a gap).
fn midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut at = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(local) = tz.from_local_datetime(&at).earliest() {
            return local.with_timezone(&Utc);
        }
        at += Duration::hours(1);
    }
    at.and_utc()
}

/// The start of the bucket `at` falls in.
fn bucket_start(at: DateTime<Utc>, interval: Interval, tz: Tz) -> DateTime<Utc> {
    match interval {
        // Whole hours of local time: the UTC hour for whole-hour offsets.
        Interval::Hour => {
            let local = at.with_timezone(&tz);
            let offset = i64::from(local.offset().fix().local_minus_utc());
            let second = at.timestamp() + offset;
            let floored = second.div_euclid(3600) * 3600 - offset;
            DateTime::<Utc>::from_timestamp(floored, 0).unwrap_or(at)
        }
        Interval::Day => midnight(at.with_timezone(&tz).date_naive(), tz),
        Interval::Week => {
            let date = at.with_timezone(&tz).date_naive();
            let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            midnight(monday, tz)
        }
    }
}

/// The start of the bucket after the one starting at `start`.
fn next_start(start: DateTime<Utc>, interval: Interval, tz: Tz) -> DateTime<Utc> {
    match interval {
        Interval::Hour => start + Duration::hours(1),
        Interval::Day => {
            let date = start.with_timezone(&tz).date_naive();
            midnight(date + Duration::days(1), tz)
        }
        Interval::Week => {
            let date = start.with_timezone(&tz).date_naive();
            midnight(date + Duration::days(7), tz)
        }
    }
}

/// `count` intervals before `at`.
fn step_back(at: DateTime<Utc>, interval: Interval, count: i64, tz: Tz) -> DateTime<Utc> {
    match interval {
        Interval::Hour => at - Duration::hours(count),
        Interval::Day => {
            let local = at.with_timezone(&tz).date_naive() - Duration::days(count);
            midnight(local, tz)
        }
        Interval::Week => {
            let local = at.with_timezone(&tz).date_naive() - Duration::days(7 * count);
            midnight(local, tz)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        DateTime::parse_from_rfc3339("2026-06-10T15:30:00Z")
            .map(|at| at.naive_utc())
            .unwrap_or_default()
    }

    fn range(from: &str, to: &str, interval: &str, tz: &str) -> StatsRange {
        StatsRange::parse(Some(from), Some(to), Some(interval), Some(tz), now())
            .unwrap_or_else(|error| panic!("{from}..{to}: {error:?}"))
    }

    #[test]
    fn buckets_are_zero_filled_and_each_hour_counts_where_it_starts() {
        let range = range("2026-06-01", "2026-06-04", "day", "UTC");
        let june_2 = DateTime::parse_from_rfc3339("2026-06-02T23:00:00Z")
            .map(|at| at.timestamp() / 3600)
            .unwrap_or_default();
        let stats = range.series(&[(june_2, 5), (june_2 + 1, 2)], &[], None);
        let clicks: Vec<i64> = stats.data.iter().map(|point| point.clicks).collect();
        assert_eq!(clicks, [0, 5, 2]);
        assert_eq!(stats.meta.total, 7);
    }

    #[test]
    fn days_follow_the_time_zone_across_a_daylight_saving_change() {
        // Paris moves to summer time on 2026-03-29: that day has 23 hours.
        let range = range("2026-03-28", "2026-03-31", "day", "Europe/Paris");
        let paris = range.series(&[], &[], None);
        let starts: Vec<String> = paris
            .data
            .iter()
            .map(|point| point.start.to_rfc3339())
            .collect();
        assert_eq!(
            starts,
            [
                "2026-03-28T00:00:00+01:00",
                "2026-03-29T00:00:00+01:00",
                "2026-03-30T00:00:00+02:00"
            ]
        );
        assert_eq!(paris.meta.to.to_rfc3339(), "2026-03-31T00:00:00+02:00");
    }

    #[test]
    fn weeks_start_on_monday_and_defaults_cover_thirty_intervals_to_now() {
        let weeks = range("2026-06-03", "2026-06-20", "week", "UTC");
        let stats = weeks.series(&[], &[], None);
        assert_eq!(
            stats.data[0].start.to_rfc3339(),
            "2026-06-01T00:00:00+00:00"
        );
        assert_eq!(stats.data.len(), 3);
        let defaults = StatsRange::parse(None, None, None, None, now()).expect("defaults");
        assert_eq!(defaults.series(&[], &[], None).data.len(), 31);
    }

    #[test]
    fn bad_ranges_are_refused_naming_the_parameter() {
        let cases = [
            (Some("2026-06-02"), Some("2026-06-01"), None, None, "from"),
            (
                Some("2025-01-01"),
                Some("2026-06-01"),
                Some("day"),
                None,
                "from",
            ),
            (Some("yesterday"), None, None, None, "from"),
            (None, Some("2026-13-01"), None, None, "to"),
            (None, None, Some("month"), None, "interval"),
            (None, None, None, Some("Mars/Olympus"), "tz"),
        ];
        for (from, to, interval, tz, name) in cases {
            let error = StatsRange::parse(from, to, interval, tz, now()).err();
            assert_eq!(
                error.map(|e| e.name),
                Some(name.to_owned()),
                "{from:?} {to:?}"
            );
        }
        // 400 days fit, 401 do not.
        assert!(
            StatsRange::parse(Some("2025-01-01"), Some("2026-02-05"), None, None, now()).is_ok()
        );
        assert!(
            StatsRange::parse(Some("2025-01-01"), Some("2026-02-06"), None, None, now()).is_err()
        );
    }
}
