//! RFC 6962 / RFC 9162 Merkle trees over *stored hashes* (`docs/log.md` §1).
//!
//! A log of `n` leaves keeps, for every complete subtree, its hash: the hash
//! of the subtree of height `level` whose leftmost leaf is `index << level`.
//! These are numbered by [`stored_index`] in the order an append creates
//! them (the scheme of Go's `sumdb/tlog`), so a backend stores a flat,
//! append-only array of hashes. Roots and proofs for any size are computed
//! from a [`HashReader`] over that array: nothing needs the leaves in memory,
//! and a proof reads `O(log² n)` stored hashes.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// Why a tree operation or proof check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The index or sizes are out of range for the operation.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// The proof has the wrong number of hashes.
    #[error("the proof has the wrong length")]
    WrongProofLength,
    /// The proof does not lead to the expected root.
    #[error("the proof does not verify")]
    Mismatch,
    /// The hash reader failed.
    #[error("reading stored hashes failed: {0}")]
    Read(String),
}

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The position in the stored-hash array of the hash of the complete
/// subtree at `level` whose leftmost leaf is `index << level`.
pub fn stored_index(level: u32, index: u64) -> u64 {
    // Level L's n-th hash is stored right after level L+1's (2n+1)-th hash…
    let mut n = index;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    // …and level 0's n-th hash sits at n + n/2 + n/4 + …
    let mut i = 0u64;
    let mut m = n;
    while m > 0 {
        i += m;
        m >>= 1;
    }
    i + u64::from(level)
}

/// [`stored_index`] with checked arithmetic: `None` where the position
/// does not fit in a `u64` (no tree that large can be stored), for indexes
/// read from a request.
pub fn checked_stored_index(level: u32, index: u64) -> Option<u64> {
    let mut n = index;
    for _ in 0..level {
        n = n.checked_mul(2)?.checked_add(1)?;
    }
    let mut i = 0u64;
    let mut m = n;
    while m > 0 {
        i = i.checked_add(m)?;
        m >>= 1;
    }
    i.checked_add(u64::from(level))
}

/// How many stored hashes a tree of `size` leaves has.
pub fn stored_hash_count(size: u64) -> u64 {
    if size == 0 {
        return 0;
    }
    let mut count = stored_index(0, size - 1) + 1;
    let mut i = size - 1;
    while i & 1 == 1 {
        count += 1;
        i >>= 1;
    }
    count
}

/// The inverse of [`stored_index`]: `(level, index)`.
pub fn split_stored_index(stored: u64) -> (u32, u64) {
    // Find the level-0 index n whose run of stored hashes contains `stored`.
    let mut n = stored / 2;
    while stored_index(0, n) > stored {
        n -= 1;
    }
    while n < u64::MAX && stored_index(0, n + 1) <= stored {
        n += 1;
    }
    let level = (stored - stored_index(0, n)) as u32;
    (level, n >> level)
}

/// The hash of a complete subtree given its leaves' (or lower level's)
/// hashes; `hashes.len()` must be a power of two.
pub fn root_of_complete(hashes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                if p.len() == 2 {
                    node_hash(&p[0], &p[1])
                } else {
                    p[0]
                }
            })
            .collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

/// Read access to a tree's stored hashes.
pub trait HashReader {
    /// The hashes at these stored indexes, in order.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MerkleError>;
}

impl<F: Fn(&[u64]) -> Result<Vec<Hash>, MerkleError>> HashReader for F {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MerkleError> {
        self(indexes)
    }
}

/// The stored hashes created by appending leaf number `size` (0-based) with
/// leaf hash `leaf` to a tree of `size` leaves: the leaf hash, then one hash
/// per subtree the leaf completes. They belong at stored indexes
/// `stored_hash_count(size)..stored_hash_count(size + 1)`.
pub fn hashes_for_append(
    size: u64,
    leaf: Hash,
    r: &impl HashReader,
) -> Result<Vec<Hash>, MerkleError> {
    let completed = (size + 1).trailing_zeros();
    let indexes: Vec<u64> = (0..completed)
        .rev()
        .map(|level| stored_index(level, (size >> level) - 1))
        .collect();
    let siblings = r.read_hashes(&indexes)?;
    let mut out = Vec::with_capacity(1 + completed as usize);
    let mut h = leaf;
    out.push(h);
    for level in 0..completed as usize {
        h = node_hash(&siblings[completed as usize - 1 - level], &h);
        out.push(h);
    }
    Ok(out)
}

/// The stored indexes of the roots of the complete subtrees that make up a
/// tree of `size` leaves (its frontier, left to right): every hash an
/// append to it needs from before the append is among them.
pub fn frontier(size: u64) -> Vec<u64> {
    subtrees(0, size)
        .into_iter()
        .map(|(level, index)| stored_index(level, index))
        .collect()
}

/// The aligned complete subtrees `(level, index)` that make up `[lo, hi)`,
/// left to right. `lo` must be a multiple of the first subtree's size, which
/// holds for every range the RFC 6962 recursion produces.
fn subtrees(mut lo: u64, hi: u64) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    while lo < hi {
        let mut level = 63 - (hi - lo).leading_zeros();
        while lo & ((1u64 << level) - 1) != 0 {
            level -= 1;
        }
        out.push((level, lo >> level));
        lo += 1u64 << level;
    }
    out
}

/// Folds aligned subtree hashes (left to right) into the hash of their range.
fn fold(hashes: &[Hash]) -> Hash {
    let mut it = hashes.iter().rev();
    let mut acc = *it.next().unwrap_or(&empty_root());
    for h in it {
        acc = node_hash(h, &acc);
    }
    acc
}

/// A plan of range hashes to compute from one batched read.
struct Plan {
    ranges: Vec<(u64, u64)>,
    indexes: Vec<u64>,
}

impl Plan {
    fn new() -> Plan {
        Plan {
            ranges: Vec::new(),
            indexes: Vec::new(),
        }
    }

    fn add(&mut self, lo: u64, hi: u64) {
        self.ranges.push((lo, hi));
        for (l, i) in subtrees(lo, hi) {
            self.indexes.push(stored_index(l, i));
        }
    }

    fn run(self, r: &impl HashReader) -> Result<Vec<Hash>, MerkleError> {
        let hashes = r.read_hashes(&self.indexes)?;
        if hashes.len() != self.indexes.len() {
            return Err(MerkleError::Read(
                "the reader returned the wrong number of hashes".into(),
            ));
        }
        let mut out = Vec::with_capacity(self.ranges.len());
        let mut at = 0;
        for (lo, hi) in self.ranges {
            let n = subtrees(lo, hi).len();
            out.push(fold(&hashes[at..at + n]));
            at += n;
        }
        Ok(out)
    }
}

/// The root hash of the tree's first `size` leaves.
pub fn root(size: u64, r: &impl HashReader) -> Result<Hash, MerkleError> {
    if size == 0 {
        return Ok(empty_root());
    }
    let mut p = Plan::new();
    p.add(0, size);
    Ok(p.run(r)?[0])
}

fn largest_pow2_below(n: u64) -> u64 {
    // n >= 2
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    r: &impl HashReader,
) -> Result<Vec<Hash>, MerkleError> {
    if index >= size {
        return Err(MerkleError::OutOfRange(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    let mut p = Plan::new();
    let (mut lo, mut hi) = (0u64, size);
    // Collected root-side first; the proof lists them leaf-side first.
    let mut ranges = Vec::new();
    while hi - lo > 1 {
        let k = largest_pow2_below(hi - lo);
        if index < lo + k {
            ranges.push((lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push((lo, lo + k));
            lo += k;
        }
    }
    for (a, b) in ranges.iter().rev() {
        p.add(*a, *b);
    }
    p.run(r)
}

/// The RFC 9162 §2.1.4.1 consistency proof from size `old` to size `new`.
pub fn consistency_proof(
    old: u64,
    new: u64,
    r: &impl HashReader,
) -> Result<Vec<Hash>, MerkleError> {
    if old > new {
        return Err(MerkleError::OutOfRange(format!(
            "old size {old} exceeds new size {new}"
        )));
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    let (mut lo, mut hi, mut m, mut complete) = (0u64, new, old, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                ranges.push((lo, hi));
            }
            break;
        }
        let k = largest_pow2_below(n);
        if m <= k {
            ranges.push((lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push((lo, lo + k));
            lo += k;
            m -= k;
            complete = false;
        }
    }
    let mut p = Plan::new();
    for (a, b) in ranges.iter().rev() {
        p.add(*a, *b);
    }
    p.run(r)
}

/// RFC 9162 §2.1.3.2: verifies that `leaf` is leaf `index` of the tree of `size` with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::OutOfRange(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(MerkleError::WrongProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleError::WrongProofLength);
    }
    if &r == root {
        Ok(())
    } else {
        Err(MerkleError::Mismatch)
    }
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `new` size with `new_root`
/// extends the tree of `old` size with `old_root`. Requires `0 < old <= new`
/// (a proof from the empty tree is meaningless; C2SP tlog-witness handles
/// `old == 0` itself); for `old == new` the proof must be empty and the roots equal.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    if old > new {
        return Err(MerkleError::OutOfRange(format!(
            "old size {old} exceeds new size {new}"
        )));
    }
    if old == 0 {
        return Err(MerkleError::OutOfRange(
            "a consistency proof from the empty tree is meaningless".into(),
        ));
    }
    if old == new {
        return if !proof.is_empty() {
            Err(MerkleError::WrongProofLength)
        } else if old_root == new_root {
            Ok(())
        } else {
            Err(MerkleError::Mismatch)
        };
    }
    if proof.is_empty() {
        return Err(MerkleError::WrongProofLength);
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(MerkleError::WrongProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleError::WrongProofLength);
    }
    if &fr == old_root && &sr == new_root {
        Ok(())
    } else {
        Err(MerkleError::Mismatch)
    }
}

/// A tree held in memory as its stored hashes (no leaves). For tests and as
/// the benchmark baseline; storage backends hold the same array.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    size: u64,
    hashes: Vec<Hash>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its leaf hash; returns its index.
    pub fn append(&mut self, leaf: Hash) -> u64 {
        // Reading our own complete array cannot fail.
        let new = hashes_for_append(self.size, leaf, &*self).unwrap_or_default();
        self.hashes.extend(new);
        self.size += 1;
        self.size - 1
    }

    /// The root at the current size.
    pub fn root(&self) -> Hash {
        root(self.size, self).unwrap_or_else(|_| empty_root())
    }
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MerkleError> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i))
                    .copied()
                    .ok_or_else(|| MerkleError::Read(format!("no stored hash {i}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    /// Every hash from before a batch that any of its appends reads is on
    /// the old tree's frontier (what `Log::append_with` reads up front).
    #[test]
    fn appends_read_only_the_frontier_of_the_tree_before_them() {
        for old in 0..300u64 {
            let frontier: std::collections::HashSet<u64> = frontier(old).into_iter().collect();
            assert_eq!(frontier.len() as u32, old.count_ones());
            for size in old..old + 70 {
                let completed = (size + 1).trailing_zeros();
                for level in 0..completed {
                    let i = stored_index(level, (size >> level) - 1);
                    assert!(
                        frontier.contains(&i) || i >= stored_hash_count(old),
                        "appending leaf {size} to a batch after {old} reads stored hash {i}"
                    );
                }
            }
        }
    }

    use super::*;

    /// The reference definition of RFC 6962 §2.1, recursive over leaves.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_pow2_below(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn checked_stored_index_agrees_where_it_fits_and_refuses_beyond() {
        for level in 0..12 {
            for index in 0..300 {
                assert_eq!(
                    checked_stored_index(level, index),
                    Some(stored_index(level, index))
                );
            }
        }
        assert_eq!(checked_stored_index(0, u64::MAX), None);
        assert_eq!(checked_stored_index(63, 1), None);
        assert_eq!(checked_stored_index(504, 0), None);
        assert!(checked_stored_index(0, u64::MAX / 2).is_some());
    }

    #[test]
    fn stored_index_matches_go_sumdb_examples() {
        // Values from the layout described in Go's sumdb/tlog documentation.
        assert_eq!(stored_index(0, 0), 0);
        assert_eq!(stored_index(0, 1), 1);
        assert_eq!(stored_index(1, 0), 2);
        assert_eq!(stored_index(0, 2), 3);
        assert_eq!(stored_index(0, 3), 4);
        assert_eq!(stored_index(1, 1), 5);
        assert_eq!(stored_index(2, 0), 6);
        assert_eq!(stored_hash_count(4), 7);
        assert_eq!(stored_hash_count(5), 8);
    }

    #[test]
    fn roots_and_proofs_match_the_reference_for_every_small_size() {
        let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut t = MemoryTree::new();
        for (n, l) in leaves.iter().enumerate() {
            assert_eq!(t.append(*l), n as u64);
            assert_eq!(t.hashes.len() as u64, stored_hash_count(t.size()));
        }
        for size in 1..=70u64 {
            let r = root(size, &t).unwrap();
            assert_eq!(r, mth(&leaves[..size as usize]), "root {size}");
            for i in 0..size {
                let p = inclusion_proof(i, size, &t).unwrap();
                verify_inclusion(i, size, &leaves[i as usize], &p, &r).unwrap();
            }
            for old in 1..=size {
                let p = consistency_proof(old, size, &t).unwrap();
                let or = root(old, &t).unwrap();
                verify_consistency(old, size, &or, &r, &p)
                    .unwrap_or_else(|e| panic!("{old}->{size}: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn split_inverts_stored_index() {
        for level in 0..20u32 {
            for index in [0u64, 1, 2, 3, 7, 100, 12345] {
                let s = stored_index(level, index);
                assert_eq!(split_stored_index(s), (level, index));
            }
        }
    }
}
