//! The best `k` of a stream with a bounded min-heap: `k` slots allocated once per query, the
//! worst kept at the top so each newcomer is compared with it alone. Ties are broken by id,
//! smaller first, so a ranking never depends on the order of the scan.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

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
