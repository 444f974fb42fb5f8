//! The search index: every post's words (title, tags, body) in memory, kept in step with the database by
//! the service (README "Search"). It ranks matches as readers expect (the rules of [`Rank`]), forgives
//! typos, completes the last word, counts facets and suggests titles, the same on both databases.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::text::{distance_within, tokens};
use super::{QueryWord, SearchQuery};
use crate::domain::{PostFilter, PostStatus};

/// Where a word was found, best first: a title word ranks above a tag's, above the body's.
const TITLE: u8 = 4;
const TAGS: u8 = 2;
const BODY: u8 = 1;

/// The most words a prefix stands for (`q=a` does not read the whole vocabulary).
const MAX_PREFIX_WORDS: usize = 200;

/// What the database says about a post, enough to filter, rank and facet it; read for every post whenever
/// the content changes. Its words are read only when they may have changed ([`SearchIndex::stale`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub id: i64,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub category: Option<i64>,
    /// The synced click count: the last ranking rule.
    pub clicks: i64,
    pub tags: Vec<i64>,
    pub authors: Vec<i64>,
}

/// A post's words as written: its title and the plain text of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostText {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
}

/// A category, tag or author, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Every category, tag and author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub categories: Vec<Term>,
    pub tags: Vec<Term>,
    pub authors: Vec<Term>,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    slot: u32,
    fields: u8,
}

#[derive(Debug, Clone)]
struct Doc {
    stamp: Stamp,
    slug: String,
    title: String,
    /// The words it is listed under, to take it out again.
    words: Vec<u32>,
    /// A digest of its tags' names when its words were read: a renamed tag reads them again.
    tag_names: u64,
}

/// How well a post matches a query, compared field by field (greater is better): more of the query's words
/// first; then fewer typos; then where the words were found (title, tags, body, summed over the words);
/// then more words matched exactly (not as a prefix); then more clicks; then the newer post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank {
    pub words: u8,
    /// `u8::MAX` minus the typos, so that greater is better.
    pub exactness: u8,
    pub attribute: u16,
    pub whole_words: u8,
    pub clicks: i64,
    pub id: i64,
}

impl Rank {
    /// The rank as numbers, for a cursor.
    pub fn to_key(self) -> [i64; 6] {
        [
            i64::from(self.words),
            i64::from(self.exactness),
            i64::from(self.attribute),
            i64::from(self.whole_words),
            self.clicks,
            self.id,
        ]
    }

    /// A rank from [`Rank::to_key`]'s numbers (`None` if they cannot be one).
    pub fn from_key(key: [i64; 6]) -> Option<Self> {
        Some(Rank {
            words: u8::try_from(key[0]).ok()?,
            exactness: u8::try_from(key[1]).ok()?,
            attribute: u16::try_from(key[2]).ok()?,
            whole_words: u8::try_from(key[3]).ok()?,
            clicks: key[4],
            id: key[5],
        })
    }
}

/// The posts a search matched, best first, and the facets of the matches.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    pub ranked: Vec<Rank>,
    pub facets: Facets,
}

/// How many matches each category and tag has (with the other filters applied, not its own), most first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    pub tags: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FacetCount {
    #[schema(example = "databases")]
    pub slug: String,
    #[schema(example = 12)]
    pub count: u64,
}

/// What a suggestion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    Post,
    Tag,
    Category,
}

/// One suggestion for an autocomplete box: a published post, a tag or a category (its name as `title`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// A post's words and what it is filtered by, for every post (drafts and scheduled ones too: who may see
/// them is decided per search).
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Each word and its number.
    words: BTreeMap<Box<str>, u32>,
    /// By word number: the words themselves, and where each is found.
    spelled: Vec<Box<str>>,
    postings: Vec<Vec<Posting>>,
    /// Word numbers by length in bytes, for the typo scan.
    by_length: Vec<Vec<u32>>,
    docs: Vec<Option<Doc>>,
    slots: HashMap<i64, u32>,
    free: Vec<u32>,
    catalog: Catalog,
    /// Each category's and tag's words, for suggestions: (kind, index in the catalog, words).
    term_words: Vec<(SuggestionKind, usize, Vec<String>)>,
}

impl SearchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many posts it holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// About how many bytes it takes (words, postings and posts).
    pub fn bytes(&self) -> usize {
        let words: usize = self.spelled.iter().map(|word| 2 * word.len() + 48).sum();
        let postings: usize = self
            .postings
            .iter()
            .map(|list| list.capacity() * std::mem::size_of::<Posting>() + 24)
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .flatten()
            .map(|doc| doc.title.len() + doc.slug.len() + 4 * doc.words.len() + 200)
            .sum();
        words + postings + docs
    }

    /// The posts of `stamps` whose words must be read (again): new ones, edited ones, and those whose tags
    /// were renamed or changed.
    pub fn stale(&self, stamps: &[Stamp], catalog: &Catalog) -> Vec<i64> {
        let names = tag_names_by_id(catalog);
        stamps
            .iter()
            .filter(|stamp| {
                self.doc(stamp.id).is_none_or(|doc| {
                    doc.stamp.updated_at != stamp.updated_at
                        || doc.tag_names != tag_digest(&stamp.tags, &names)
                })
            })
            .map(|stamp| stamp.id)
            .collect()
    }

    /// Brings the index to what the database says: `stamps` are every post there is (others are taken out),
    /// `texts` the words of those [`SearchIndex::stale`] named.
    pub fn update(&mut self, stamps: Vec<Stamp>, catalog: Catalog, texts: Vec<PostText>) {
        let names = tag_names_by_id(&catalog);
        let present: HashSet<i64> = stamps.iter().map(|stamp| stamp.id).collect();
        let gone: Vec<i64> = self
            .slots
            .keys()
            .filter(|id| !present.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.remove(id);
        }
        let mut texts: HashMap<i64, PostText> =
            texts.into_iter().map(|text| (text.id, text)).collect();
        for stamp in stamps {
            if let Some(text) = texts.remove(&stamp.id) {
                self.remove(stamp.id);
                self.insert(stamp, text, &names);
            } else if let Some(slot) = self.slots.get(&stamp.id).copied() {
                if let Some(Some(doc)) = self.docs.get_mut(slot as usize) {
                    doc.stamp = stamp;
                }
            }
        }
        self.term_words = catalog
            .categories
            .iter()
            .enumerate()
            .map(|(at, term)| (SuggestionKind::Category, at, term))
            .chain(
                catalog
                    .tags
                    .iter()
                    .enumerate()
                    .map(|(at, term)| (SuggestionKind::Tag, at, term)),
            )
            .map(|(kind, at, term)| {
                let words = tokens(&term.name).into_iter().map(|t| t.word).collect();
                (kind, at, words)
            })
            .collect();
        self.catalog = catalog;
    }

    fn postings_of(&self, word: u32) -> &[Posting] {
        self.postings.get(word as usize).map_or(&[], Vec::as_slice)
    }

    fn doc(&self, id: i64) -> Option<&Doc> {
        let slot = *self.slots.get(&id)?;
        self.docs.get(slot as usize)?.as_ref()
    }

    fn insert(&mut self, stamp: Stamp, text: PostText, names: &HashMap<i64, &str>) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.docs.push(None);
            u32::try_from(self.docs.len() - 1).unwrap_or(u32::MAX)
        });
        let mut fields: HashMap<u32, u8> = HashMap::new();
        let tag_text: Vec<&str> = stamp
            .tags
            .iter()
            .filter_map(|id| names.get(id).copied())
            .collect();
        for (source, field) in [
            (text.title.as_str(), TITLE),
            (&tag_text.join(" "), TAGS),
            (text.body.as_str(), BODY),
        ] {
            for token in tokens(source) {
                let word = self.word_number(&token.word);
                *fields.entry(word).or_default() |= field;
            }
        }
        let mut words: Vec<(u32, u8)> = fields.into_iter().collect();
        words.sort_unstable();
        for (word, fields) in &words {
            if let Some(list) = self.postings.get_mut(*word as usize) {
                list.push(Posting {
                    slot,
                    fields: *fields,
                });
            }
        }
        let tag_names = tag_digest(&stamp.tags, names);
        self.slots.insert(stamp.id, slot);
        if let Some(place) = self.docs.get_mut(slot as usize) {
            *place = Some(Doc {
                stamp,
                slug: text.slug,
                title: text.title,
                words: words.into_iter().map(|(word, _)| word).collect(),
                tag_names,
            });
        }
    }

    fn word_number(&mut self, word: &str) -> u32 {
        if let Some(number) = self.words.get(word) {
            return *number;
        }
        let number = u32::try_from(self.spelled.len()).unwrap_or(u32::MAX);
        self.words.insert(word.into(), number);
        self.spelled.push(word.into());
        self.postings.push(Vec::new());
        if word.is_ascii() {
            if self.by_length.len() <= word.len() {
                self.by_length.resize(word.len() + 1, Vec::new());
            }
            if let Some(list) = self.by_length.get_mut(word.len()) {
                list.push(number);
            }
        }
        number
    }

    fn remove(&mut self, id: i64) {
        let Some(slot) = self.slots.remove(&id) else {
            return;
        };
        if let Some(doc) = self.docs.get_mut(slot as usize).and_then(Option::take) {
            for word in doc.words {
                if let Some(list) = self.postings.get_mut(word as usize) {
                    list.retain(|posting| posting.slot != slot);
                }
            }
        }
        self.free.push(slot);
    }

    /// The words of the index a query word matches, each with its typos and whether it is the word itself.
    fn matching_words(&self, query: &QueryWord) -> Vec<(u32, u8, bool)> {
        let mut found = Vec::new();
        let word = query.word.as_str();
        if let Some(number) = self.words.get(word) {
            found.push((*number, 0, true));
        }
        if query.prefix {
            found.extend(
                self.words
                    .range::<str, _>((std::ops::Bound::Excluded(word), std::ops::Bound::Unbounded))
                    .take_while(|(known, _)| known.starts_with(word))
                    .take(MAX_PREFIX_WORDS)
                    .map(|(_, number)| (*number, 0, false)),
            );
        }
        if query.typos > 0 {
            let lengths = word.len().saturating_sub(usize::from(query.typos))
                ..=word.len() + usize::from(query.typos);
            for length in lengths {
                for number in self.by_length.get(length).into_iter().flatten() {
                    let Some(known) = self.spelled.get(*number as usize) else {
                        continue;
                    };
                    if known.as_ref() == word || (query.prefix && known.starts_with(word)) {
                        continue;
                    }
                    if let Some(typos) = distance_within(known, word, query.typos) {
                        found.push((*number, typos, false));
                    }
                }
            }
        }
        found
    }

    /// The posts matching `query` that `filter` lets through at `now`, best first, and the facets of the
    /// matches (each facet with every other filter applied, not its own).
    pub fn search(&self, query: &SearchQuery, filter: &PostFilter, now: NaiveDateTime) -> Matches {
        let words = query.words();
        let width = words.len();
        // Per post and query word, the best match: typos (fewer better), field and wholeness packed so
        // that greater is better; 0 for none.
        let mut best: Vec<u16> = vec![0; self.docs.len() * width];
        let mut touched: Vec<u32> = Vec::new();
        let mut seen: Vec<bool> = vec![false; self.docs.len()];
        for (position, word) in words.iter().enumerate() {
            for (number, typos, whole) in self.matching_words(word) {
                for posting in self.postings_of(number) {
                    let slot = posting.slot as usize;
                    let quality = (u16::from(3 - typos.min(3)) << 8)
                        | (u16::from(attribute(posting.fields)) << 1)
                        | u16::from(whole);
                    if let Some(cell) = best.get_mut(slot * width + position) {
                        *cell = (*cell).max(quality);
                    }
                    if let Some(seen) = seen.get_mut(slot).filter(|seen| !**seen) {
                        *seen = true;
                        touched.push(posting.slot);
                    }
                }
            }
        }
        let category = wanted(filter.category.as_ref(), &self.catalog.categories);
        let tag = wanted(filter.tag.as_ref(), &self.catalog.tags);
        let author = wanted(filter.author.as_ref(), &self.catalog.authors);
        let mut ranked = Vec::new();
        let mut category_counts: HashMap<i64, u64> = HashMap::new();
        let mut tag_counts: HashMap<i64, u64> = HashMap::new();
        for slot in touched {
            let Some(Some(doc)) = self.docs.get(slot as usize) else {
                continue;
            };
            let stamp = &doc.stamp;
            if !status_allows(filter.status, stamp.published_at, now)
                || !author.allows(|id| stamp.authors.contains(&id))
            {
                continue;
            }
            let in_category = category.allows(|id| stamp.category == Some(id));
            let in_tag = tag.allows(|id| stamp.tags.contains(&id));
            if in_tag {
                if let Some(id) = stamp.category {
                    *category_counts.entry(id).or_default() += 1;
                }
            }
            if in_category {
                for id in &stamp.tags {
                    *tag_counts.entry(*id).or_default() += 1;
                }
            }
            if in_category && in_tag {
                let start = slot as usize * width;
                let cells = best.get(start..start + width).unwrap_or_default();
                ranked.push(rank_of(cells, stamp));
            }
        }
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        Matches {
            ranked,
            facets: Facets {
                categories: facet(&category_counts, &self.catalog.categories),
                tags: facet(&tag_counts, &self.catalog.tags),
            },
        }
    }

    /// Up to `limit` published posts, tags and categories with a word starting with each word typed, best
    /// first: names that begin with what was typed, then those with the typed words whole, then categories
    /// and tags before posts, then the most read (posts by clicks, terms by their published posts).
    pub fn suggest(
        &self,
        query: &SearchQuery,
        limit: usize,
        now: NaiveDateTime,
    ) -> Vec<Suggestion> {
        let words = query.words();
        let mut scored: Vec<(NameScore, Suggestion)> = Vec::new();
        // Posts: those with every typed word in their title, through the index.
        let mut titles: Option<HashSet<u32>> = None;
        for word in words {
            let prefix = QueryWord {
                word: word.word.clone(),
                typos: 0,
                prefix: true,
            };
            let mut with_word = HashSet::new();
            for (number, _, _) in self.matching_words(&prefix) {
                for posting in self.postings_of(number) {
                    if posting.fields & TITLE != 0 {
                        with_word.insert(posting.slot);
                    }
                }
            }
            titles = Some(match titles {
                None => with_word,
                Some(before) => before.intersection(&with_word).copied().collect(),
            });
        }
        for slot in titles.unwrap_or_default() {
            let Some(Some(doc)) = self.docs.get(slot as usize) else {
                continue;
            };
            if !status_allows(PostStatus::Published, doc.stamp.published_at, now) {
                continue;
            }
            let title_words: Vec<String> = tokens(&doc.title).into_iter().map(|t| t.word).collect();
            let score = name_score(words, &title_words, 0, doc.stamp.clicks, doc.stamp.id);
            scored.push((
                score,
                Suggestion {
                    kind: SuggestionKind::Post,
                    id: doc.stamp.id,
                    slug: doc.slug.clone(),
                    title: doc.title.clone(),
                },
            ));
        }
        let published = self.published_per_term(now);
        for (kind, at, names) in &self.term_words {
            let list = match kind {
                SuggestionKind::Category => &self.catalog.categories,
                _ => &self.catalog.tags,
            };
            let Some(term) = list.get(*at) else {
                continue;
            };
            let all_start = words
                .iter()
                .all(|word| names.iter().any(|name| name.starts_with(&word.word)));
            if !all_start {
                continue;
            }
            let rank = if *kind == SuggestionKind::Category {
                2
            } else {
                1
            };
            let count = published.get(&(*kind, term.id)).copied().unwrap_or(0);
            scored.push((
                name_score(words, names, rank, count, term.id),
                Suggestion {
                    kind: *kind,
                    id: term.id,
                    slug: term.slug.clone(),
                    title: term.name.clone(),
                },
            ));
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.title.cmp(&b.1.title)));
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(_, suggestion)| suggestion)
            .collect()
    }

    /// The earliest publication still to come after `now`: until then, what is public does not change
    /// by itself.
    pub fn next_publication(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        self.docs
            .iter()
            .flatten()
            .filter_map(|doc| doc.stamp.published_at)
            .filter(|at| *at > now)
            .min()
    }

    /// How many published posts each category and tag has.
    fn published_per_term(&self, now: NaiveDateTime) -> HashMap<(SuggestionKind, i64), i64> {
        let mut counts = HashMap::new();
        for doc in self.docs.iter().flatten() {
            if !status_allows(PostStatus::Published, doc.stamp.published_at, now) {
                continue;
            }
            if let Some(id) = doc.stamp.category {
                *counts.entry((SuggestionKind::Category, id)).or_default() += 1;
            }
            for id in &doc.stamp.tags {
                *counts.entry((SuggestionKind::Tag, *id)).or_default() += 1;
            }
        }
        counts
    }
}

/// A suggestion's order (see [`name_score`]).
type NameScore = (bool, usize, u8, i64, i64);

/// A suggestion's order: whether the name begins with the first typed word, how many typed words are
/// whole words of it, its kind's rank, how popular it is, its id.
fn name_score(
    words: &[QueryWord],
    names: &[String],
    kind: u8,
    popularity: i64,
    id: i64,
) -> NameScore {
    let begins = match (words.first(), names.first()) {
        (Some(word), Some(name)) => name.starts_with(&word.word),
        _ => false,
    };
    let whole = words
        .iter()
        .filter(|word| names.contains(&word.word))
        .count();
    (begins, whole, kind, popularity, id)
}

fn attribute(fields: u8) -> u8 {
    if fields & TITLE != 0 {
        3
    } else if fields & TAGS != 0 {
        2
    } else {
        u8::from(fields & BODY != 0)
    }
}

fn rank_of(cells: &[u16], stamp: &Stamp) -> Rank {
    let matched: Vec<u16> = cells.iter().copied().filter(|cell| *cell > 0).collect();
    let typos: u16 = matched.iter().map(|cell| 3 - (cell >> 8)).sum();
    Rank {
        words: u8::try_from(matched.len()).unwrap_or(u8::MAX),
        exactness: u8::MAX - u8::try_from(typos).unwrap_or(u8::MAX),
        attribute: matched.iter().map(|cell| (cell >> 1) & 0x7f).sum(),
        whole_words: u8::try_from(matched.iter().filter(|cell| *cell & 1 == 1).count())
            .unwrap_or(u8::MAX),
        clicks: stamp.clicks,
        id: stamp.id,
    }
}

/// A filter by slug: none, a term that exists (by id), or one that does not (nothing passes).
enum Wanted {
    Any,
    Id(i64),
    Nothing,
}

impl Wanted {
    fn allows(&self, has: impl Fn(i64) -> bool) -> bool {
        match self {
            Wanted::Any => true,
            Wanted::Id(id) => has(*id),
            Wanted::Nothing => false,
        }
    }
}

fn wanted(slug: Option<&crate::domain::Slug>, terms: &[Term]) -> Wanted {
    match slug {
        None => Wanted::Any,
        Some(slug) => terms
            .iter()
            .find(|term| term.slug == slug.as_str())
            .map_or(Wanted::Nothing, |term| Wanted::Id(term.id)),
    }
}

fn status_allows(
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    match status {
        PostStatus::Published => published_at.is_some_and(|at| at <= now),
        PostStatus::Scheduled => published_at.is_some_and(|at| at > now),
        PostStatus::Draft => published_at.is_none(),
        PostStatus::All => true,
    }
}

fn facet(counts: &HashMap<i64, u64>, terms: &[Term]) -> Vec<FacetCount> {
    let mut found: Vec<FacetCount> = terms
        .iter()
        .filter_map(|term| {
            counts.get(&term.id).map(|count| FacetCount {
                slug: term.slug.clone(),
                count: *count,
            })
        })
        .collect();
    found.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.slug.cmp(&b.slug)));
    found
}

fn tag_names_by_id(catalog: &Catalog) -> HashMap<i64, &str> {
    catalog
        .tags
        .iter()
        .map(|tag| (tag.id, tag.name.as_str()))
        .collect()
}

fn tag_digest(tags: &[i64], names: &HashMap<i64, &str>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for id in tags {
        id.hash(&mut hasher);
        names.get(id).hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests;
