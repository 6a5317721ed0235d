//! The best `k` of a stream with a bounded min-heap: `k` slots allocated once per query, the
//! worst kept at the top so each newcomer is compared with it alone. Ties are broken by key,
//! smaller first, so a ranking never depends on the order of the scan; the index keys its hits
//! by [`tie_rank`] first, a daily shuffle, so that equal scores do not always favour the same
//! (say, the oldest) ids.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Where an id falls among equals on the day numbered `seed`: a hash of both (SplitMix64),
/// stable for the day, reshuffled the next.
#[inline]
pub fn tie_rank(id: u128, seed: u64) -> u64 {
    let folded = (id as u64) ^ ((id >> 64) as u64);
    let mut z = folded ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A scored item; `Ord` says which is better (higher score, then smaller key).
#[derive(Debug, Clone, Copy)]
pub struct Hit<K> {
    pub score: f32,
    pub key: K,
}

impl<K: Ord> PartialEq for Hit<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<K: Ord> Eq for Hit<K> {}

impl<K: Ord> PartialOrd for Hit<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> Ord for Hit<K> {
    /// Greater is better.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.key.cmp(&self.key))
    }
}

/// Keeps the `k` best hits seen.
#[derive(Debug)]
pub struct TopK<K> {
    k: usize,
    // Reversed so that the heap's top is the worst hit kept.
    heap: BinaryHeap<std::cmp::Reverse<Hit<K>>>,
}

impl<K: Ord + Copy> TopK<K> {
    pub fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score a newcomer must reach to have a chance, once `k` hits are kept.
    #[inline]
    pub fn threshold(&self) -> Option<f32> {
        if self.heap.len() < self.k {
            None
        } else {
            self.heap.peek().map(|worst| worst.0.score)
        }
    }

    /// Offers a hit; kept if among the `k` best so far.
    #[inline]
    pub fn offer(&mut self, score: f32, key: K) {
        if self.k == 0 {
            return;
        }
        let hit = Hit { score, key };
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse(hit));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && hit > worst.0
        {
            *worst = std::cmp::Reverse(hit);
        }
    }

    /// The hits kept, best first.
    pub fn into_sorted(self) -> Vec<Hit<K>> {
        let mut hits: Vec<Hit<K>> = self.heap.into_iter().map(|hit| hit.0).collect();
        hits.sort_by(|a, b| b.cmp(a));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_and_breaks_ties_by_smaller_key() {
        let mut top = TopK::new(3);
        for (score, key) in [(0.5, 9), (0.9, 4), (0.5, 2), (0.1, 1), (0.5, 7), (0.95, 8)] {
            top.offer(score, key);
        }
        let keys: Vec<u32> = top.into_sorted().iter().map(|h| h.key).collect();
        assert_eq!(keys, vec![8, 4, 2]);
    }

    #[test]
    fn ties_fall_in_a_daily_order_stable_for_the_day() {
        let ids: Vec<u128> = (1..=20).collect();
        let order = |seed: u64| {
            let mut sorted = ids.clone();
            sorted.sort_by_key(|id| tie_rank(*id, seed));
            sorted
        };
        assert_eq!(order(20_000), order(20_000));
        assert_ne!(order(20_000), order(20_001));
        assert_ne!(order(20_000), ids, "not the ids' own order");
    }

    #[test]
    fn the_threshold_appears_once_full() {
        let mut top = TopK::new(2);
        top.offer(0.3, 1);
        assert_eq!(top.threshold(), None);
        top.offer(0.6, 2);
        assert_eq!(top.threshold(), Some(0.3));
        top.offer(0.1, 3);
        assert_eq!(top.threshold(), Some(0.3));
    }
}
