//! A byte-bounded, content-keyed fragment cache for isolate memory.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// Default capacity: enough for a few hundred typical fragments.
pub const DEFAULT_FRAGMENT_CACHE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Default)]
struct Entries {
    by_hash: HashMap<String, Rc<str>>,
    /// Insertion order, oldest first: evicted first when over capacity.
    order: VecDeque<String>,
    bytes: usize,
}

/// Immutable fragments keyed by their content hash, never by visitor; the
/// oldest are evicted once the total size passes the capacity.
#[derive(Debug)]
pub struct FragmentCache {
    capacity_bytes: usize,
    entries: RefCell<Entries>,
}

impl Default for FragmentCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_FRAGMENT_CACHE_BYTES)
    }
}

impl FragmentCache {
    /// A cache holding at most `capacity_bytes` of fragment HTML.
    pub fn with_capacity(capacity_bytes: usize) -> Self {
        Self {
            capacity_bytes,
            entries: RefCell::default(),
        }
    }

    /// The fragment with this hash, if held.
    pub fn get(&self, hash: &str) -> Option<Rc<str>> {
        self.entries.borrow().by_hash.get(hash).cloned()
    }

    /// Keeps `html` under `hash` (if it fits at all) and returns it shared.
    pub fn insert(&self, hash: &str, html: String) -> Rc<str> {
        let html: Rc<str> = html.into();
        if html.len() > self.capacity_bytes {
            return html;
        }
        let mut entries = self.entries.borrow_mut();
        if let Some(existing) = entries.by_hash.get(hash) {
            return existing.clone();
        }
        entries.bytes += html.len();
        entries.by_hash.insert(hash.to_owned(), html.clone());
        entries.order.push_back(hash.to_owned());
        while entries.bytes > self.capacity_bytes {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            if let Some(evicted) = entries.by_hash.remove(&oldest) {
                entries.bytes -= evicted.len();
            }
        }
        html
    }

    /// Bytes of fragment HTML held.
    pub fn bytes(&self) -> usize {
        self.entries.borrow().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_fragments_are_evicted_to_stay_within_capacity() {
        let cache = FragmentCache::with_capacity(10);
        cache.insert("a", "12345".to_owned());
        cache.insert("b", "12345".to_owned());
        assert_eq!(cache.bytes(), 10);
        cache.insert("c", "123".to_owned());
        assert!(cache.get("a").is_none());
        assert_eq!(cache.get("b").as_deref(), Some("12345"));
        assert_eq!(cache.bytes(), 8);
    }

    #[test]
    fn a_fragment_larger_than_the_cache_is_served_but_not_kept() {
        let cache = FragmentCache::with_capacity(4);
        assert_eq!(&*cache.insert("a", "12345".to_owned()), "12345");
        assert_eq!(cache.bytes(), 0);
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn inserting_the_same_hash_twice_keeps_one_copy() {
        let cache = FragmentCache::with_capacity(100);
        cache.insert("a", "xyz".to_owned());
        cache.insert("a", "xyz".to_owned());
        assert_eq!(cache.bytes(), 3);
    }
}
