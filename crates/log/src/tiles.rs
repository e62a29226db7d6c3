//! C2SP tlog-tiles: tile paths, hash tiles, entry bundles, and checking a
//! whole log from its tiles (`docs/log.md` §4).
//!
//! Hash `j` of tile `N` at level `L` is the hash of the complete subtree of
//! height `8·L` whose leftmost leaf is `(256·N + j) · 256^L`, i.e. the stored
//! hash `(8·L, 256·N + j)` of [`crate::merkle`].

use crate::merkle::{self, Hash, HashReader, MerkleError};

/// Hashes per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tile height in tree levels.
pub const TILE_HEIGHT: u32 = 8;
/// Largest log entry an entry bundle can hold.
pub const MAX_ENTRY_LEN: usize = 65_535;

/// Why a tile or path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The path is not a tile path.
    #[error("bad tile path {0:?}")]
    BadPath(String),
    /// Tile or bundle bytes are malformed.
    #[error("malformed tile: {0}")]
    Malformed(String),
    /// A tile or bundle does not match the tree.
    #[error("the tiles do not match the checkpoint: {0}")]
    Mismatch(String),
    /// Fetching a tile failed.
    #[error("fetching {0} failed: {1}")]
    Fetch(String, String),
    /// Computing hashes failed.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

/// A tile: a level (`None` for an entry bundle), an index and a width (1..=256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Level 0..=63, or `None` for the entry bundle.
    pub level: Option<u8>,
    /// Index within the level.
    pub index: u64,
    /// Number of hashes or entries (256 for a full tile).
    pub width: u16,
}

fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

impl Tile {
    /// Its path under the log's prefix, e.g. `tile/0/x001/234` or `tile/entries/005.p/17`.
    pub fn path(&self) -> String {
        let level = self.level.map_or("entries".to_owned(), |l| l.to_string());
        let mut p = format!("tile/{level}/{}", encode_index(self.index));
        if u64::from(self.width) < TILE_WIDTH {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// Parses a path (strictly: no leading zeroes, x-prefixed groups, widths 1..=255).
    pub fn parse_path(path: &str) -> Result<Tile, TileError> {
        let bad = || TileError::BadPath(path.to_owned());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level_s, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = if level_s == "entries" {
            None
        } else {
            if level_s.is_empty()
                || level_s.len() > 2
                || (level_s.len() > 1 && level_s.starts_with('0'))
            {
                return Err(bad());
            }
            let l: u8 = level_s.parse().map_err(|_| bad())?;
            if l > 63 {
                return Err(bad());
            }
            Some(l)
        };
        let (index_s, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                if w.is_empty()
                    || w.starts_with('0')
                    || !w.bytes().all(|b| b.is_ascii_digit())
                    || w.len() > 3
                {
                    return Err(bad());
                }
                let w: u16 = w.parse().map_err(|_| bad())?;
                if !(1..=255).contains(&w) {
                    return Err(bad());
                }
                (i, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let groups: Vec<&str> = index_s.split('/').collect();
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let last = i == groups.len() - 1;
            let digits = if last {
                *g
            } else {
                g.strip_prefix('x').ok_or_else(bad)?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            index = index
                .checked_mul(1000)
                .and_then(|v| v.checked_add(digits.parse::<u64>().ok()?))
                .ok_or_else(bad)?;
        }
        let t = Tile {
            level,
            index,
            width,
        };
        if t.path() != path {
            return Err(bad()); // e.g. a leading x000 group
        }
        Ok(t)
    }
}

/// How many hashes exist at tile level `level` for a tree of `size`.
fn count_at_level(size: u64, level: u8) -> u64 {
    let shift = u32::from(level) * TILE_HEIGHT;
    if shift >= 64 { 0 } else { size >> shift }
}

/// Every hash tile of a tree of `size` (full and the rightmost partial ones), level by level.
pub fn tiles_for_size(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    for level in 0..=63u8 {
        let n = count_at_level(size, level);
        if n == 0 {
            break;
        }
        for index in 0..n / TILE_WIDTH {
            out.push(Tile {
                level: Some(level),
                index,
                width: TILE_WIDTH as u16,
            });
        }
        if !n.is_multiple_of(TILE_WIDTH) {
            out.push(Tile {
                level: Some(level),
                index: n / TILE_WIDTH,
                width: (n % TILE_WIDTH) as u16,
            });
        }
    }
    out
}

/// The tiles (hash tiles and entry bundles) that are new or grew when the
/// tree goes from `old` to `new` leaves, at their width for `new`.
pub fn tiles_changed(old: u64, new: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    if new <= old {
        return out;
    }
    for level in 0..=63u8 {
        let (o, n) = (count_at_level(old, level), count_at_level(new, level));
        if n == 0 || n == o {
            if n == 0 {
                break;
            }
            continue;
        }
        for index in o / TILE_WIDTH..n.div_ceil(TILE_WIDTH) {
            let width = (n - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            out.push(Tile {
                level: Some(level),
                index,
                width,
            });
            if level == 0 {
                out.push(Tile {
                    level: None,
                    index,
                    width,
                });
            }
        }
    }
    out
}

/// The bytes of hash tile `t` (`t.level` must be `Some`), from stored hashes.
pub fn read_tile(t: &Tile, r: &impl HashReader) -> Result<Vec<u8>, TileError> {
    let level = t
        .level
        .ok_or_else(|| TileError::Malformed("an entry bundle is not a hash tile".into()))?;
    let tree_level = u32::from(level) * TILE_HEIGHT;
    // The tile's numbers come from a request: checked, as no stored tree
    // has a hash beyond u64.
    let beyond = || TileError::Malformed(format!("tile {} is beyond any log", t.path()));
    let first = t.index.checked_mul(TILE_WIDTH).ok_or_else(beyond)?;
    let indexes = (0..u64::from(t.width))
        .map(|j| {
            first
                .checked_add(j)
                .and_then(|n| merkle::checked_stored_index(tree_level, n))
                .ok_or_else(beyond)
        })
        .collect::<Result<Vec<u64>, TileError>>()?;
    Ok(r.read_hashes(&indexes)?.concat())
}

/// Encodes entries as an entry bundle (each as a big-endian u16 length and the bytes).
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| {
            TileError::Malformed(format!(
                "an entry of {} bytes exceeds {MAX_ENTRY_LEN}",
                e.len()
            ))
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Parses an entry bundle holding exactly `count` entries.
pub fn parse_bundle(mut bytes: &[u8], count: usize) -> Result<Vec<Vec<u8>>, TileError> {
    let mut out = Vec::with_capacity(count.min(256));
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else {
            return Err(TileError::Malformed("truncated entry length".into()));
        };
        let n = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < n {
            return Err(TileError::Malformed("truncated entry".into()));
        }
        out.push(rest[..n].to_vec());
        bytes = &rest[n..];
        if out.len() > count {
            break;
        }
    }
    if out.len() != count {
        return Err(TileError::Malformed(format!(
            "expected {count} entries, found {}",
            out.len()
        )));
    }
    Ok(out)
}

fn hashes_of(data: &[u8], t: &Tile) -> Result<Vec<Hash>, TileError> {
    if data.len() != usize::from(t.width) * 32 {
        return Err(TileError::Malformed(format!(
            "{} has {} bytes, expected {}",
            t.path(),
            data.len(),
            usize::from(t.width) * 32
        )));
    }
    Ok(data
        .chunks_exact(32)
        .map(|c| c.try_into().unwrap_or([0; 32]))
        .collect())
}

/// Checks a whole log of `size` entries against its `root` using only its
/// tiles and entry bundles, fetched by `fetch(tile)`: every entry hashes to
/// its level-0 tile hash, every full tile hashes to its parent's entry, and
/// the right edge folds to the root. Calls `progress(entries_checked)` as it goes.
pub fn verify_log(
    size: u64,
    root: &Hash,
    fetch: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, String>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), TileError> {
    let mut get = |t: &Tile| fetch(t).map_err(|e| TileError::Fetch(t.path(), e));
    // Level by level: the hashes of this level's tiles, each checked against the level below.
    let mut below: Option<Vec<Hash>> = None; // the full-tile MTHs of the level below
    let mut level_hashes: Vec<Vec<Hash>> = Vec::new();
    for level in 0..=63u8 {
        let n = count_at_level(size, level);
        if n == 0 {
            break;
        }
        let mut all = Vec::with_capacity(n as usize);
        let mut full_mths = Vec::new();
        for index in 0..n.div_ceil(TILE_WIDTH) {
            let width = (n - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let t = Tile {
                level: Some(level),
                index,
                width,
            };
            let hs = hashes_of(&get(&t)?, &t)?;
            if level == 0 {
                let b = Tile {
                    level: None,
                    index,
                    width,
                };
                let entries = parse_bundle(&get(&b)?, usize::from(width))?;
                for (j, e) in entries.iter().enumerate() {
                    if merkle::leaf_hash(e) != hs[j] {
                        return Err(TileError::Mismatch(format!(
                            "entry {} does not match {}",
                            index * TILE_WIDTH + j as u64,
                            t.path()
                        )));
                    }
                }
                progress(index * TILE_WIDTH + u64::from(width));
            }
            if u64::from(width) == TILE_WIDTH {
                full_mths.push(merkle::root_of_complete(&hs));
            }
            all.extend(hs);
        }
        if let Some(b) = below.take()
            && b != all
        {
            return Err(TileError::Mismatch(format!(
                "level {level} tiles do not match the full tiles below"
            )));
        }
        below = Some(full_mths);
        level_hashes.push(all);
    }
    // The right edge: aligned complete subtrees of [0, size), each from its tile level.
    let reader = |indexes: &[u64]| -> Result<Vec<Hash>, MerkleError> {
        indexes
            .iter()
            .map(|&i| {
                let (tree_level, n) = merkle::split_stored_index(i);
                let (tl, r) = (
                    (tree_level / TILE_HEIGHT) as usize,
                    tree_level % TILE_HEIGHT,
                );
                let hs = level_hashes
                    .get(tl)
                    .ok_or_else(|| MerkleError::Read(format!("no tiles at level {tl}")))?;
                let lo = (n << r) as usize;
                let span = hs.get(lo..lo + (1usize << r)).ok_or_else(|| {
                    MerkleError::Read(format!("tile hashes {lo}.. missing at level {tl}"))
                })?;
                Ok(merkle::root_of_complete(span))
            })
            .collect()
    };
    let computed = merkle::root(size, &reader)?;
    if &computed != root {
        return Err(TileError::Mismatch(
            "the root computed from the tiles differs from the checkpoint".into(),
        ));
    }
    Ok(())
}

/// The stored hashes of a tree of `size`, read from its hash tiles as
/// `fetch(tile)` returns them (tiles are fetched once each). Whatever the
/// tiles hold, a proof computed from them verifies only if it is right.
/// Fetches a tile's bytes, or says why it could not.
type FetchTile<'a> = &'a mut dyn FnMut(&Tile) -> Result<Vec<u8>, String>;

struct TileReader<'a> {
    size: u64,
    fetch: std::cell::RefCell<FetchTile<'a>>,
    cache: std::cell::RefCell<std::collections::BTreeMap<Tile, Vec<Hash>>>,
}

impl HashReader for TileReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MerkleError> {
        let mut out = Vec::with_capacity(indexes.len());
        for &stored in indexes {
            let (level, n) = merkle::split_stored_index(stored);
            let tile_level = level / TILE_HEIGHT;
            let sub = level % TILE_HEIGHT;
            // The complete subtree is the MTH of 2^sub consecutive hashes of
            // tile level `tile_level`, which lie in one tile.
            let lo = n << sub;
            let count = 1u64 << sub;
            let t = Tile {
                level: Some(tile_level as u8),
                index: lo / TILE_WIDTH,
                width: count_at_level(self.size, tile_level as u8)
                    .saturating_sub(lo / TILE_WIDTH * TILE_WIDTH)
                    .min(TILE_WIDTH) as u16,
            };
            let within = (lo % TILE_WIDTH) as usize;
            if within + count as usize > usize::from(t.width) {
                return Err(MerkleError::OutOfRange(format!(
                    "stored hash {stored} is not in a tree of size {}",
                    self.size
                )));
            }
            let mut cache = self.cache.borrow_mut();
            let hs = match cache.entry(t) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let data = (self.fetch.borrow_mut())(&t).map_err(|err| {
                        MerkleError::Read(format!("fetching {}: {err}", t.path()))
                    })?;
                    e.insert(
                        hashes_of(&data, &t).map_err(|err| MerkleError::Read(err.to_string()))?,
                    )
                }
            };
            out.push(merkle::root_of_complete(
                &hs[within..within + count as usize],
            ));
        }
        Ok(out)
    }
}

/// The RFC 9162 inclusion proof of leaf `index` in the tree of `size`,
/// computed from the log's hash tiles (fetched by `fetch`): for a client
/// that holds no key the relay would answer but can read the public tiles.
/// Verify it with [`merkle::verify_inclusion`] against a signed checkpoint.
pub fn inclusion_proof_from_tiles(
    index: u64,
    size: u64,
    fetch: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, String>,
) -> Result<Vec<Hash>, MerkleError> {
    let r = TileReader {
        size,
        fetch: std::cell::RefCell::new(fetch),
        cache: Default::default(),
    };
    merkle::inclusion_proof(index, size, &r)
}

/// The RFC 9162 consistency proof from size `old` to `new`, computed from
/// the hash tiles of the tree of `new` (see [`inclusion_proof_from_tiles`]).
pub fn consistency_proof_from_tiles(
    old: u64,
    new: u64,
    fetch: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, String>,
) -> Result<Vec<Hash>, MerkleError> {
    let r = TileReader {
        size: new,
        fetch: std::cell::RefCell::new(fetch),
        cache: Default::default(),
    };
    merkle::consistency_proof(old, new, &r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MemoryTree;

    #[test]
    fn paths_follow_the_spec() {
        let t = |level, index, width| Tile {
            level,
            index,
            width,
        };
        assert_eq!(t(Some(0), 1234067, 256).path(), "tile/0/x001/x234/067");
        assert_eq!(t(Some(1), 5, 17).path(), "tile/1/005.p/17");
        assert_eq!(t(None, 1000, 256).path(), "tile/entries/x001/000");
        assert_eq!(t(Some(63), 0, 1).path(), "tile/63/000.p/1");
        for p in [
            "tile/0/x001/x234/067",
            "tile/1/005.p/17",
            "tile/entries/x001/000",
            "tile/entries/000.p/255",
        ] {
            assert_eq!(Tile::parse_path(p).unwrap().path(), p);
        }
        for bad in [
            "tile/00/000",
            "tile/0/1",
            "tile/0/x000/001",
            "tile/0/001.p/0",
            "tile/0/001.p/256",
            "tile/0/001.p/05",
            "tile/64/000",
            "tile/0/x1/000",
            "tiles/0/000",
            "tile/0/001/002",
        ] {
            assert!(Tile::parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tiles_for_the_specs_example_size() {
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
        // level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of
        // width 17, and one partial level 2 tile of width 1"
        let ts = tiles_for_size(70_000);
        let full0 = ts
            .iter()
            .filter(|t| t.level == Some(0) && t.width == 256)
            .count();
        assert_eq!(full0, 273);
        assert!(ts.contains(&Tile {
            level: Some(0),
            index: 273,
            width: 112
        }));
        assert!(ts.contains(&Tile {
            level: Some(1),
            index: 0,
            width: 256
        }));
        assert!(ts.contains(&Tile {
            level: Some(1),
            index: 1,
            width: 17
        }));
        assert!(ts.contains(&Tile {
            level: Some(2),
            index: 0,
            width: 1
        }));
        assert_eq!(ts.len(), 277);
        let t256 = tiles_for_size(256);
        assert_eq!(
            t256,
            vec![
                Tile {
                    level: Some(0),
                    index: 0,
                    width: 256
                },
                Tile {
                    level: Some(1),
                    index: 0,
                    width: 1
                }
            ]
        );
    }

    #[test]
    fn verify_log_from_tiles_and_detect_tampering() {
        let size = 256 * 3 + 40;
        let entries: Vec<Vec<u8>> = (0..size)
            .map(|i: u64| format!("entry {i}").into_bytes())
            .collect();
        let mut t = MemoryTree::new();
        for e in &entries {
            t.append(merkle::leaf_hash(e));
        }
        let root = t.root();
        let mut files = std::collections::HashMap::new();
        for tile in tiles_changed(0, size) {
            let bytes = match tile.level {
                Some(_) => read_tile(&tile, &t).unwrap(),
                None => {
                    let lo = (tile.index * 256) as usize;
                    encode_bundle(&entries[lo..lo + usize::from(tile.width)]).unwrap()
                }
            };
            files.insert(tile.path(), bytes);
        }
        let fetch = |f: &std::collections::HashMap<String, Vec<u8>>, tile: &Tile| {
            f.get(&tile.path())
                .cloned()
                .ok_or_else(|| "missing".to_string())
        };
        verify_log(size, &root, &mut |x| fetch(&files, x), &mut |_| {}).unwrap();
        for victim in [
            "tile/0/001",
            "tile/entries/002",
            "tile/1/000.p/3",
            "tile/0/003.p/40",
        ] {
            let mut bad = files.clone();
            bad.get_mut(victim).unwrap()[5] ^= 1;
            assert!(
                verify_log(size, &root, &mut |x| fetch(&bad, x), &mut |_| {}).is_err(),
                "{victim}"
            );
        }
        assert!(verify_log(size, &[0; 32], &mut |x| fetch(&files, x), &mut |_| {}).is_err());
    }

    #[test]
    fn proofs_from_tiles_equal_proofs_from_the_tree() {
        let mut t = MemoryTree::new();
        for i in 0..(256 * 3 + 40u64) {
            t.append(merkle::leaf_hash(&i.to_be_bytes()));
        }
        for size in [1u64, 2, 7, 256, 257, 511, 513, 256 * 3 + 40] {
            // The tiles a relay serves for a checkpoint of `size`.
            let mut fetched = 0;
            let mut fetch = |tile: &Tile| -> Result<Vec<u8>, String> {
                fetched += 1;
                assert!(
                    tiles_for_size(size).contains(tile),
                    "{} at {size}",
                    tile.path()
                );
                read_tile(tile, &t).map_err(|e| e.to_string())
            };
            let root = merkle::root(size, &t).unwrap();
            for index in [0, size / 2, size - 1] {
                let p = inclusion_proof_from_tiles(index, size, &mut fetch).unwrap();
                assert_eq!(p, merkle::inclusion_proof(index, size, &t).unwrap());
                let leaf = merkle::leaf_hash(&index.to_be_bytes());
                merkle::verify_inclusion(index, size, &leaf, &p, &root).unwrap();
            }
            for old in [1, size / 3 + 1, size] {
                let p = consistency_proof_from_tiles(old, size, &mut fetch).unwrap();
                assert_eq!(p, merkle::consistency_proof(old, size, &t).unwrap());
            }
            assert!(size == 1 || fetched > 0, "size {size}: no tile fetched");
        }
        // A tile that lies gives a proof that does not verify.
        let size = 300;
        let root = merkle::root(size, &t).unwrap();
        let mut lying = |tile: &Tile| -> Result<Vec<u8>, String> {
            let mut b = read_tile(tile, &t).map_err(|e| e.to_string())?;
            b[0] ^= 1;
            Ok(b)
        };
        let p = inclusion_proof_from_tiles(299, size, &mut lying).unwrap();
        let leaf = merkle::leaf_hash(&299u64.to_be_bytes());
        assert!(merkle::verify_inclusion(299, size, &leaf, &p, &root).is_err());
        assert!(inclusion_proof_from_tiles(300, size, &mut lying).is_err());
    }

    #[test]
    fn tiles_changed_covers_growth() {
        let ch = tiles_changed(250, 260);
        assert!(ch.contains(&Tile {
            level: Some(0),
            index: 0,
            width: 256
        }));
        assert!(ch.contains(&Tile {
            level: None,
            index: 0,
            width: 256
        }));
        assert!(ch.contains(&Tile {
            level: Some(0),
            index: 1,
            width: 4
        }));
        assert!(ch.contains(&Tile {
            level: Some(1),
            index: 0,
            width: 1
        }));
        assert!(tiles_changed(5, 5).is_empty());
    }

    #[test]
    fn bundles_roundtrip_and_refuse_garbage() {
        let b = encode_bundle(&[b"a".to_vec(), vec![], vec![7; 300]]).unwrap();
        assert_eq!(
            parse_bundle(&b, 3).unwrap(),
            vec![b"a".to_vec(), vec![], vec![7; 300]]
        );
        assert!(parse_bundle(&b, 2).is_err());
        assert!(parse_bundle(&b[..b.len() - 1], 3).is_err());
        assert!(encode_bundle(&[vec![0; 70_000]]).is_err());
    }
}
