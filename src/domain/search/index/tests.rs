use chrono::NaiveDate;

use super::*;
use crate::domain::Slug;

fn at(day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, day)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .expect("a date")
}

fn catalog() -> Catalog {
    let term = |id: i64, slug: &str, name: &str| Term {
        id,
        slug: slug.into(),
        name: name.into(),
    };
    Catalog {
        categories: vec![
            term(1, "databases", "Databases"),
            term(2, "ops", "Operations"),
        ],
        tags: vec![
            term(10, "redis", "Redis"),
            term(11, "tuning", "Performance tuning"),
        ],
        authors: vec![term(20, "ann", "Ann")],
    }
}

/// (id, title, body, category, tags, clicks, published day (0: a draft))
type Row<'a> = (i64, &'a str, &'a str, i64, &'a [i64], i64, u32);

fn stamps_of<'a>(rows: impl Iterator<Item = &'a Row<'a>>) -> Vec<Stamp> {
    rows.map(|(id, _, _, category, tags, clicks, day)| Stamp {
        id: *id,
        updated_at: at(1),
        published_at: (*day > 0).then(|| at(*day)),
        category: Some(*category),
        clicks: *clicks,
        tags: tags.to_vec(),
        authors: vec![20],
    })
    .collect()
}

fn index_of(rows: &[Row]) -> SearchIndex {
    let stamps = stamps_of(rows.iter());
    let texts = rows
        .iter()
        .map(|(id, title, body, ..)| PostText {
            id: *id,
            slug: format!("post-{id}"),
            title: (*title).into(),
            body: (*body).into(),
        })
        .collect();
    let mut index = SearchIndex::new();
    assert_eq!(index.stale(&stamps, &catalog()).len(), rows.len());
    index.update(stamps, catalog(), texts);
    index
}

fn ids(index: &SearchIndex, q: &str, filter: &PostFilter) -> Vec<i64> {
    let query = SearchQuery::parse(q).expect("a query");
    let mut matches = index.search(&query, filter, at(20));
    let (page, more) = matches.page(None, 0, matches.len());
    assert!(!more);
    page.iter().map(|rank| rank.id).collect()
}

const ROWS: [Row; 7] = [
    (
        1,
        "Caching basics",
        "Redis is mentioned in the body.",
        1,
        &[],
        500,
        2,
    ),
    (2, "Notes", "Nothing relevant.", 1, &[10], 10, 2),
    (3, "Redis in production", "Some text.", 1, &[], 1, 2),
    (4, "Redis latency", "Measuring latency.", 2, &[11], 1, 2),
    (5, "Postgres locks", "Row locks explained.", 1, &[], 0, 2),
    (6, "Redis draft", "Not yet public.", 1, &[], 0, 0),
    (7, "Redis later", "Scheduled.", 1, &[], 0, 25),
];

#[test]
fn title_above_tags_above_body_all_words_first_clicks_last() {
    let index = index_of(&ROWS);
    let all = PostFilter::default();
    // Title matches (4 and 3: the same rank but clicks, equal; the newer id first), then the tag, then the
    // body; drafts and scheduled posts are not public.
    assert_eq!(ids(&index, "redis", &all), [4, 3, 2, 1]);
    // Both words before one of them.
    assert_eq!(ids(&index, "redis latency", &all)[0], 4);
    let editor = PostFilter {
        status: PostStatus::All,
        ..PostFilter::default()
    };
    assert_eq!(ids(&index, "redis", &editor).len(), 6);
}

#[test]
fn typos_and_prefixes_match_but_rank_below_exact_words() {
    let index = index_of(&ROWS);
    let all = PostFilter::default();
    assert_eq!(ids(&index, "postgras", &all), [5]);
    assert_eq!(ids(&index, "postg", &all), [5]);
    assert_eq!(ids(&index, "\"postgras\"", &all), Vec::<i64>::new());
    // "lock" is a prefix of "locks" (title) and one typo from nothing else; "rdis" forgives a typo.
    assert_eq!(ids(&index, "lock", &all), [5]);
    assert_eq!(ids(&index, "rdis", &all), [4, 3, 2, 1]);
    // Too short to forgive a typo.
    assert!(ids(&index, "rds", &all).is_empty());
}

#[test]
fn facets_count_every_match_with_the_other_filters() {
    let index = index_of(&ROWS);
    let query = SearchQuery::parse("redis").expect("a query");
    let in_ops = PostFilter {
        category: Slug::parse("category", "ops").ok(),
        ..PostFilter::default()
    };
    let matches = index.search(&query, &in_ops, at(20));
    assert_eq!(
        matches
            .ranked
            .iter()
            .map(|rank| rank.id)
            .collect::<Vec<_>>(),
        [4]
    );
    let categories: Vec<(&str, u64)> = matches
        .facets
        .categories
        .iter()
        .map(|facet| (facet.slug.as_str(), facet.count))
        .collect();
    assert_eq!(categories, [("databases", 3), ("ops", 1)]);
    let tags: Vec<(&str, u64)> = matches
        .facets
        .tags
        .iter()
        .map(|facet| (facet.slug.as_str(), facet.count))
        .collect();
    assert_eq!(tags, [("tuning", 1)]);
}

#[test]
fn an_update_reindexes_changed_posts_and_drops_deleted_ones() {
    let mut index = index_of(&ROWS);
    let mut stamps = stamps_of(ROWS.iter().filter(|row| row.0 != 1));
    stamps[0].updated_at = at(3);
    assert_eq!(index.stale(&stamps, &catalog()), [2]);
    let mut renamed = catalog();
    renamed.tags[0].name = "Valkey".into();
    assert_eq!(index.stale(&stamps, &renamed), [2]);
    index.update(
        stamps,
        renamed,
        vec![PostText {
            id: 2,
            slug: "post-2".into(),
            title: "Notes".into(),
            body: "Nothing relevant.".into(),
        }],
    );
    let all = PostFilter::default();
    assert_eq!(ids(&index, "redis", &all), [4, 3]);
    assert_eq!(ids(&index, "valkey", &all), [2]);
    assert_eq!(index.len(), 6);
}

#[test]
fn suggestions_complete_titles_and_names_of_public_posts_only() {
    let index = index_of(&ROWS);
    let query = SearchQuery::parse("red").expect("a query");
    let shown: Vec<(SuggestionKind, String)> = index
        .suggest(&query, 10, at(20))
        .into_iter()
        .map(|s| (s.kind, s.title))
        .collect();
    assert_eq!(
        shown,
        [
            (SuggestionKind::Tag, "Redis".to_owned()),
            (SuggestionKind::Post, "Redis latency".to_owned()),
            (SuggestionKind::Post, "Redis in production".to_owned()),
        ]
    );
    let query = SearchQuery::parse("perf").expect("a query");
    assert_eq!(index.suggest(&query, 10, at(20)).len(), 1);
    assert_eq!(index.suggest(&query, 0, at(20)).len(), 0);
}
