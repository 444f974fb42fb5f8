//! The search index: every post's words (title, tags, body) in memory, kept in step with the database by
//! the service (README "Search"). It ranks matches as readers expect (the rules of [`Rank`]), forgives
//! typos, completes the last word, counts facets and suggests titles, the same on both databases.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::text::{distance_within, each_token, letters, tokens};
use super::{QueryWord, SearchQuery};
use crate::domain::{PostFilter, PostStatus};

/// Where a word was found, best first: a title word ranks above a tag's, above the body's.
const TITLE: u8 = 4;
const TAGS: u8 = 2;
const BODY: u8 = 1;
/// Not a field: the word is the title's first (suggestions rank titles that begin with what was typed first).
const FIRST: u8 = 8;

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

/// A post a word is found in, and where: the post's slot in the upper bits, the fields ([`TITLE`], [`TAGS`],
/// [`BODY`], and [`FIRST`]) in the lowest four (four bytes a posting: the bulk of the index).
#[derive(Debug, Clone, Copy)]
struct Posting(u32);

impl Posting {
    fn new(slot: u32, fields: u8) -> Self {
        Posting(slot << 4 | u32::from(fields & 15))
    }

    fn slot(self) -> u32 {
        self.0 >> 4
    }

    fn fields(self) -> u8 {
        (self.0 & 15) as u8
    }
}

#[derive(Debug, Clone)]
struct Doc {
    stamp: Stamp,
    slug: String,
    title: String,
    /// A digest of its tags' names when its words were read: a renamed tag reads them again.
    tag_names: u64,
}

/// What ranking, filtering by category, tag and status, and facets read of a post: one small record per slot,
/// side by side (a search reads it for every match; the `Doc`s hold the rest).
#[derive(Debug, Clone, Copy)]
struct Hot {
    alive: bool,
    published_at: Option<NaiveDateTime>,
    clicks: i64,
    id: i64,
    /// Its category's place in the catalog (`u32::MAX`: none).
    category_at: u32,
    /// Its tags' places in the catalog: `tag_places[tags_from..tags_from + tags_len]`.
    tags_from: u32,
    tags_len: u32,
}

/// How well a post matches a query, compared field by field (greater is better): more of the query's words
/// first (a match always has the first word: words are dropped from the end, as Meilisearch and Typesense
/// do); then fewer typos; then where the words were found (title, tags, body, summed over the words);
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
    /// Below every rank a post can have.
    pub const LOWEST: Rank = Rank {
        words: 0,
        exactness: 0,
        attribute: 0,
        whole_words: 0,
        clicks: i64::MIN,
        id: i64::MIN,
    };

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

/// The posts a search matched (in no order: [`Matches::page`] ranks what a page shows), and the facets of
/// the matches.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    pub ranked: Vec<Rank>,
    pub facets: Facets,
    /// The earliest publication still to come: until then, the matches hold without a write.
    pub next_publication: Option<NaiveDateTime>,
}

impl Matches {
    /// How many posts matched.
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }

    /// The ids of every match, in no order.
    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.ranked.iter().map(|rank| rank.id)
    }

    /// The page of the ranking (best first) that skips `skip` matches after `after` (or from the top), and
    /// whether more follow: only that page is put in order, not every match.
    pub fn page(&mut self, after: Option<Rank>, skip: usize, take: usize) -> (Vec<Rank>, bool) {
        let want = skip.saturating_add(take);
        let (mut head, more) = if let Some(after) = after {
            let mut pool: Vec<Rank> = self
                .ranked
                .iter()
                .filter(|rank| **rank < after)
                .copied()
                .collect();
            let more = pool.len() > want;
            if more {
                pool.select_nth_unstable_by(want, |a, b| b.cmp(a));
                pool.truncate(want);
            }
            (pool, more)
        } else {
            // In place: the matches' order means nothing (see [`Matches`]), so no copy of them is made.
            let more = self.ranked.len() > want;
            if more {
                self.ranked.select_nth_unstable_by(want, |a, b| b.cmp(a));
            }
            (self.ranked.iter().take(want).copied().collect(), more)
        };
        head.sort_unstable_by(|a, b| b.cmp(a));
        (head.into_iter().skip(skip).collect(), more)
    }
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
    /// Each word and its number; the same sorted, for prefixes.
    numbers: HashMap<Box<str>, u32>,
    sorted: BTreeMap<Box<str>, u32>,
    /// By word number: the words themselves, and where each is found (by slot, ascending).
    spelled: Vec<Box<str>>,
    postings: Vec<Vec<Posting>>,
    /// Word numbers and their letters ([`letters`]) by length in bytes, for the typo scan.
    by_length: Vec<Vec<(u32, u32)>>,
    /// Posts by slot; a post taken out leaves `None` (its postings stay until [`SearchIndex::compact`]).
    docs: Vec<Option<Doc>>,
    slots: HashMap<i64, u32>,
    /// Slots left empty by posts taken out or read again.
    dead: usize,
    catalog: Catalog,
    /// Each category's and tag's words, for suggestions: (kind, index in the catalog, words).
    term_words: Vec<(SuggestionKind, usize, Vec<String>)>,
    /// The publication dates of each category's and tag's posts (sorted), for suggestions' popularity.
    term_dates: HashMap<(SuggestionKind, i64), Vec<NaiveDateTime>>,
    /// Every publication date, sorted.
    publications: Vec<NaiveDateTime>,
    /// Scratch space of [`SearchIndex::insert`]: the fields each word was found in, by word number.
    marks: Vec<u8>,
    /// By slot, what a search reads of each post (made again by every update's last step).
    hot: Vec<Hot>,
    tag_places: Vec<u32>,
}

impl SearchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many posts it holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// How many distinct words it holds.
    pub fn words(&self) -> usize {
        self.spelled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// About how many bytes it takes (words, postings and posts).
    pub fn bytes(&self) -> usize {
        let words: usize = self.spelled.iter().map(|word| 3 * word.len() + 120).sum();
        let postings: usize = self
            .postings
            .iter()
            .map(|list| list.capacity() * std::mem::size_of::<Posting>() + 24)
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .flatten()
            .map(|doc| {
                doc.title.len()
                    + doc.slug.len()
                    + 8 * (doc.stamp.tags.len() + doc.stamp.authors.len())
                    + std::mem::size_of::<Doc>()
                    + std::mem::size_of::<Hot>()
                    + 40
            })
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
    /// `texts` the words of those [`SearchIndex::stale`] named. In one go; [`SearchIndex::restamp`],
    /// [`SearchIndex::add`] and [`SearchIndex::finish`] do the same in steps, the words a part at a time.
    pub fn update(&mut self, stamps: Vec<Stamp>, catalog: Catalog, texts: Vec<PostText>) {
        let stale: Vec<i64> = texts.iter().map(|text| text.id).collect();
        let bulk = texts.len() > 1000;
        let mut waiting = self.restamp(stamps, &stale);
        self.add(texts, &mut waiting, &catalog);
        self.finish(catalog, bulk);
    }

    /// The first step of an update: takes out the posts not among `stamps`, and freshens the stamps of the
    /// others but `stale`, whose stamps are returned to go in with their words ([`SearchIndex::add`]).
    pub fn restamp(&mut self, stamps: Vec<Stamp>, stale: &[i64]) -> HashMap<i64, Stamp> {
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
        let stale: HashSet<i64> = stale.iter().copied().collect();
        let mut waiting = HashMap::new();
        for stamp in stamps {
            if stale.contains(&stamp.id) {
                waiting.insert(stamp.id, stamp);
            } else if let Some(slot) = self.slots.get(&stamp.id).copied() {
                if let Some(Some(doc)) = self.docs.get_mut(slot as usize) {
                    doc.stamp = stamp;
                }
            }
        }
        waiting
    }

    /// A step of an update: the words of some of the posts [`SearchIndex::restamp`] left `waiting`, each
    /// indexed again with its new stamp (`catalog` names their tags).
    pub fn add(
        &mut self,
        texts: Vec<PostText>,
        waiting: &mut HashMap<i64, Stamp>,
        catalog: &Catalog,
    ) {
        let names = tag_names_by_id(catalog);
        for text in texts {
            if let Some(stamp) = waiting.remove(&text.id) {
                self.remove(stamp.id);
                self.insert(stamp, text, &names);
            }
        }
    }

    /// The last step of an update: the catalog's tables made again, the empty slots dropped when they are
    /// many, and (after a `bulk` of words) the spare room of the postings given back.
    pub fn finish(&mut self, catalog: Catalog, bulk: bool) {
        if self.dead > self.docs.len() / 8 {
            self.compact();
        } else if bulk {
            for list in &mut self.postings {
                list.shrink_to_fit();
            }
        }
        self.catalog = catalog;
        self.index_catalog();
    }

    /// The catalog's derived tables: each term's words and posts' dates, each post's facet places, and
    /// every publication date.
    fn index_catalog(&mut self) {
        let place = |terms: &[Term]| -> HashMap<i64, u32> {
            terms
                .iter()
                .enumerate()
                .map(|(at, term)| (term.id, u32::try_from(at).unwrap_or(u32::MAX)))
                .collect()
        };
        let (categories, tags) = (place(&self.catalog.categories), place(&self.catalog.tags));
        let mut term_dates: HashMap<(SuggestionKind, i64), Vec<NaiveDateTime>> = HashMap::new();
        let mut publications = Vec::new();
        let mut hot = Vec::with_capacity(self.docs.len());
        let mut tag_places = Vec::new();
        for doc in &self.docs {
            let Some(doc) = doc else {
                hot.push(Hot {
                    alive: false,
                    published_at: None,
                    clicks: 0,
                    id: 0,
                    category_at: u32::MAX,
                    tags_from: 0,
                    tags_len: 0,
                });
                continue;
            };
            let tags_from = u32::try_from(tag_places.len()).unwrap_or(u32::MAX);
            tag_places.extend(doc.stamp.tags.iter().filter_map(|id| tags.get(id).copied()));
            hot.push(Hot {
                alive: true,
                published_at: doc.stamp.published_at,
                clicks: doc.stamp.clicks,
                id: doc.stamp.id,
                category_at: doc
                    .stamp
                    .category
                    .and_then(|id| categories.get(&id).copied())
                    .unwrap_or(u32::MAX),
                tags_from,
                tags_len: u32::try_from(tag_places.len()).unwrap_or(u32::MAX) - tags_from,
            });
            if let Some(at) = doc.stamp.published_at {
                publications.push(at);
                if let Some(id) = doc.stamp.category {
                    term_dates
                        .entry((SuggestionKind::Category, id))
                        .or_default()
                        .push(at);
                }
                for id in &doc.stamp.tags {
                    term_dates
                        .entry((SuggestionKind::Tag, *id))
                        .or_default()
                        .push(at);
                }
            }
        }
        for dates in term_dates.values_mut() {
            dates.sort_unstable();
        }
        self.hot = hot;
        self.tag_places = tag_places;
        publications.sort_unstable();
        self.term_dates = term_dates;
        self.publications = publications;
        self.term_words = self
            .catalog
            .categories
            .iter()
            .enumerate()
            .map(|(at, term)| (SuggestionKind::Category, at, term))
            .chain(
                self.catalog
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
    }

    fn postings_of(&self, word: u32) -> &[Posting] {
        self.postings.get(word as usize).map_or(&[], Vec::as_slice)
    }

    fn doc(&self, id: i64) -> Option<&Doc> {
        let slot = *self.slots.get(&id)?;
        self.live(slot)
    }

    fn live(&self, slot: u32) -> Option<&Doc> {
        self.docs.get(slot as usize)?.as_ref()
    }

    fn insert(&mut self, stamp: Stamp, text: PostText, names: &HashMap<i64, &str>) {
        let slot = u32::try_from(self.docs.len()).unwrap_or(u32::MAX);
        let mut touched: Vec<u32> = Vec::new();
        let mut first_word = true;
        let tag_text: Vec<&str> = stamp
            .tags
            .iter()
            .filter_map(|id| names.get(id).copied())
            .collect();
        let tag_text = tag_text.join(" ");
        for (source, field) in [
            (text.title.as_str(), TITLE),
            (tag_text.as_str(), TAGS),
            (text.body.as_str(), BODY),
        ] {
            each_token(source, |word, _| {
                let number = self.word_number(word);
                let first = field == TITLE && std::mem::take(&mut first_word);
                if let Some(mark) = self.marks.get_mut(number as usize) {
                    if *mark == 0 {
                        touched.push(number);
                    }
                    *mark |= if first { field | FIRST } else { field };
                }
            });
        }
        for number in touched {
            let Some(mark) = self.marks.get_mut(number as usize) else {
                continue;
            };
            let fields = std::mem::take(mark);
            if let Some(list) = self.postings.get_mut(number as usize) {
                list.push(Posting::new(slot, fields));
            }
        }
        let tag_names = tag_digest(&stamp.tags, names);
        self.slots.insert(stamp.id, slot);
        self.docs.push(Some(Doc {
            stamp,
            slug: text.slug,
            title: text.title,
            tag_names,
        }));
    }

    fn word_number(&mut self, word: &str) -> u32 {
        if let Some(number) = self.numbers.get(word) {
            return *number;
        }
        let number = u32::try_from(self.spelled.len()).unwrap_or(u32::MAX);
        self.numbers.insert(word.into(), number);
        self.sorted.insert(word.into(), number);
        self.spelled.push(word.into());
        self.postings.push(Vec::new());
        self.marks.push(0);
        if word.is_ascii() {
            if self.by_length.len() <= word.len() {
                self.by_length.resize(word.len() + 1, Vec::new());
            }
            if let Some(list) = self.by_length.get_mut(word.len()) {
                list.push((number, letters(word)));
            }
        }
        number
    }

    /// Takes a post out: its slot is left empty (searches skip it) until the next [`SearchIndex::compact`].
    fn remove(&mut self, id: i64) {
        let Some(slot) = self.slots.remove(&id) else {
            return;
        };
        if let Some(place) = self.docs.get_mut(slot as usize) {
            *place = None;
            self.dead += 1;
        }
    }

    /// Drops the empty slots: posts move down, postings follow them, those of posts gone go.
    fn compact(&mut self) {
        let mut moved: Vec<Option<u32>> = Vec::with_capacity(self.docs.len());
        let mut kept = Vec::with_capacity(self.slots.len());
        for doc in std::mem::take(&mut self.docs) {
            if let Some(doc) = doc {
                let slot = u32::try_from(kept.len()).unwrap_or(u32::MAX);
                moved.push(Some(slot));
                self.slots.insert(doc.stamp.id, slot);
                kept.push(Some(doc));
            } else {
                moved.push(None);
            }
        }
        for list in &mut self.postings {
            list.retain_mut(|posting| {
                match moved.get(posting.slot() as usize).copied().flatten() {
                    Some(slot) => {
                        *posting = Posting::new(slot, posting.fields());
                        true
                    }
                    None => false,
                }
            });
            list.shrink_to_fit();
        }
        self.docs = kept;
        self.dead = 0;
    }

    /// The words of the index a query word matches, each with its typos and whether it is the word itself.
    fn matching_words(&self, query: &QueryWord) -> Vec<(u32, u8, bool)> {
        let mut found = Vec::new();
        let word = query.word.as_str();
        if let Some(number) = self.numbers.get(word) {
            found.push((*number, 0, true));
        }
        if query.prefix {
            found.extend(
                self.sorted
                    .range::<str, _>((std::ops::Bound::Excluded(word), std::ops::Bound::Unbounded))
                    .take_while(|(known, _)| known.starts_with(word))
                    .take(MAX_PREFIX_WORDS)
                    .map(|(_, number)| (*number, 0, false)),
            );
        }
        if query.typos > 0 {
            let wanted = letters(word);
            let most = 2 * u32::from(query.typos);
            let lengths = word.len().saturating_sub(usize::from(query.typos))
                ..=word.len() + usize::from(query.typos);
            for length in lengths {
                for (number, held) in self.by_length.get(length).into_iter().flatten() {
                    // Each typo changes which letters a word holds by two at most.
                    if (held ^ wanted).count_ones() > most {
                        continue;
                    }
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

    /// The posts matching `query` that `filter` lets through at `now` (unordered: see [`Matches::page`]),
    /// and the facets of the matches (each facet with every other filter applied, not its own).
    pub fn search(&self, query: &SearchQuery, filter: &PostFilter, now: NaiveDateTime) -> Matches {
        let words = query.words();
        let width = words.len();
        // Per post and query word, the best match: typos (fewer better), field and wholeness packed so
        // that greater is better (see [`quality`]); 0 for none.
        let mut best: Vec<u8> = vec![0; self.docs.len() * width];
        for (position, word) in words.iter().enumerate() {
            for (number, typos, whole) in self.matching_words(word) {
                for posting in self.postings_of(number) {
                    let cell = posting.slot() as usize * width + position;
                    if let Some(cell) = best.get_mut(cell) {
                        *cell = (*cell).max(quality(typos, posting.fields(), whole));
                    }
                }
            }
        }
        let category = wanted(filter.category.as_ref(), &self.catalog.categories);
        let tag = wanted(filter.tag.as_ref(), &self.catalog.tags);
        let author = filter.author.as_ref().map(|slug| {
            self.catalog
                .authors
                .iter()
                .find(|term| term.slug == slug.as_str())
                .map(|term| term.id)
        });
        let mut ranked = Vec::new();
        let mut category_counts = vec![0_u64; self.catalog.categories.len()];
        let mut tag_counts = vec![0_u64; self.catalog.tags.len()];
        for ((slot, cells), hot) in best.chunks_exact(width.max(1)).enumerate().zip(&self.hot) {
            // Words are dropped from the end, never from the start: a match has the first word.
            if cells.first().is_none_or(|cell| *cell == 0)
                || !hot.alive
                || !status_allows(filter.status, hot.published_at, now)
            {
                continue;
            }
            if let Some(author) = author {
                let names = self
                    .docs
                    .get(slot)
                    .and_then(Option::as_ref)
                    .is_some_and(|doc| author.is_some_and(|id| doc.stamp.authors.contains(&id)));
                if !names {
                    continue;
                }
            }
            let tags = self
                .tag_places
                .get(hot.tags_from as usize..(hot.tags_from + hot.tags_len) as usize)
                .unwrap_or_default();
            let in_category = category.allows(|at| at == hot.category_at);
            let in_tag = tag.allows(|at| tags.contains(&at));
            if in_tag {
                if let Some(count) = category_counts.get_mut(hot.category_at as usize) {
                    *count += 1;
                }
            }
            if in_category {
                for at in tags {
                    if let Some(count) = tag_counts.get_mut(*at as usize) {
                        *count += 1;
                    }
                }
            }
            if in_category && in_tag {
                ranked.push(rank_of(cells, hot.clicks, hot.id));
            }
        }
        Matches {
            ranked,
            next_publication: self.next_publication(now),
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
        let mut scored = self.suggested_posts(words, limit, now);
        scored.extend(self.suggested_terms(words, now));
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.title.cmp(&b.1.title)));
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(_, suggestion)| suggestion)
            .collect()
    }

    /// The best `limit` published posts with a title word starting with each typed word.
    fn suggested_posts(
        &self,
        words: &[QueryWord],
        limit: usize,
        now: NaiveDateTime,
    ) -> Vec<(NameScore, Suggestion)> {
        let all = (1_u16 << words.len()) - 1;
        // Per slot: which typed words start a word of its title (bit per word), and which are whole words.
        // Per slot: which typed words start a word of its title (bit per word), which are whole words, and
        // whether the title begins with the first.
        let mut found: Vec<(u16, u16, bool)> = vec![(0, 0, false); self.docs.len()];
        let mut candidates: Vec<u32> = Vec::new();
        for (position, word) in words.iter().enumerate() {
            let earlier = (1_u16 << position) - 1;
            let prefix = QueryWord {
                word: word.word.clone(),
                typos: 0,
                prefix: true,
            };
            for (number, _, whole) in self.matching_words(&prefix) {
                for posting in self.postings_of(number) {
                    if posting.fields() & TITLE == 0 {
                        continue;
                    }
                    // Only posts with every word before this one in their title stay candidates.
                    let Some(bits) = found
                        .get_mut(posting.slot() as usize)
                        .filter(|bits| bits.0 & earlier == earlier)
                    else {
                        continue;
                    };
                    if position == 0 && bits.0 == 0 {
                        candidates.push(posting.slot());
                    }
                    bits.0 |= 1 << position;
                    if whole {
                        bits.1 |= 1 << position;
                    }
                    if position == 0 && posting.fields() & FIRST != 0 {
                        bits.2 = true;
                    }
                }
            }
        }
        let mut posts: Vec<(NameScore, u32)> = candidates
            .into_iter()
            .filter_map(|slot| {
                let (bits, whole, begins) = *found.get(slot as usize)?;
                if bits != all {
                    return None;
                }
                let hot = self.hot.get(slot as usize).filter(|hot| hot.alive)?;
                if !status_allows(PostStatus::Published, hot.published_at, now) {
                    return None;
                }
                let score = (begins, whole.count_ones() as usize, 0, hot.clicks, hot.id);
                Some((score, slot))
            })
            .collect();
        if posts.len() > limit {
            posts.select_nth_unstable_by(limit, |a, b| b.0.cmp(&a.0));
            posts.truncate(limit);
        }
        posts
            .into_iter()
            .filter_map(|(score, slot)| {
                let doc = self.live(slot)?;
                Some((
                    score,
                    Suggestion {
                        kind: SuggestionKind::Post,
                        id: doc.stamp.id,
                        slug: doc.slug.clone(),
                        title: doc.title.clone(),
                    },
                ))
            })
            .collect()
    }

    /// The categories and tags with a word of their name starting with each typed word.
    fn suggested_terms(
        &self,
        words: &[QueryWord],
        now: NaiveDateTime,
    ) -> Vec<(NameScore, Suggestion)> {
        let mut scored = Vec::new();
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
            let published = self
                .term_dates
                .get(&(*kind, term.id))
                .map_or(0, |dates| dates.partition_point(|at| *at <= now));
            let count = i64::try_from(published).unwrap_or(i64::MAX);
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
        scored
    }

    /// The earliest publication still to come after `now`: until then, what is public does not change
    /// by itself.
    pub fn next_publication(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let at = self.publications.partition_point(|at| *at <= now);
        self.publications.get(at).copied()
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

/// How well one word of a post matches one query word, greater better: fewer typos first (bits 3-4), then
/// the field (bits 1-2), then whether it is the word itself rather than a longer one (bit 0); never 0.
fn quality(typos: u8, fields: u8, whole: bool) -> u8 {
    (3 - typos.min(2)) << 3 | attribute(fields) << 1 | u8::from(whole)
}

fn rank_of(cells: &[u8], clicks: i64, id: i64) -> Rank {
    let (mut words, mut typos, mut attribute, mut whole) = (0_u8, 0_u8, 0_u16, 0_u8);
    for cell in cells.iter().filter(|cell| **cell > 0) {
        words += 1;
        typos += 3 - (cell >> 3);
        attribute += u16::from((cell >> 1) & 3);
        whole += cell & 1;
    }
    Rank {
        words,
        exactness: u8::MAX - typos,
        attribute,
        whole_words: whole,
        clicks,
        id,
    }
}

/// A filter by slug: none, a term that exists (by its place in the catalog), or one that does not (nothing
/// passes).
enum Wanted {
    Any,
    At(u32),
    Nothing,
}

impl Wanted {
    fn allows(&self, has: impl Fn(u32) -> bool) -> bool {
        match self {
            Wanted::Any => true,
            Wanted::At(at) => has(*at),
            Wanted::Nothing => false,
        }
    }
}

fn wanted(slug: Option<&crate::domain::Slug>, terms: &[Term]) -> Wanted {
    match slug {
        None => Wanted::Any,
        Some(slug) => terms
            .iter()
            .position(|term| term.slug == slug.as_str())
            .and_then(|at| u32::try_from(at).ok())
            .map_or(Wanted::Nothing, Wanted::At),
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

fn facet(counts: &[u64], terms: &[Term]) -> Vec<FacetCount> {
    let mut found: Vec<FacetCount> = terms
        .iter()
        .zip(counts)
        .filter(|(_, count)| **count > 0)
        .map(|(term, count)| FacetCount {
            slug: term.slug.clone(),
            count: *count,
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
