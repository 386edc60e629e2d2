//! RFC 6962 / RFC 9162 Merkle trees over SHA-256.
//!
//! * [`leaf_hash`] / [`node_hash`]: the 0x00 / 0x01 domain-separated hashes.
//! * [`CompactRange`]: a streaming tree hasher holding only the O(log n) perfect-subtree roots
//!   ("frontier"); it gives the root at any size and can be seeded from a frontier, which is
//!   how a partial export starting at leaf `a` is checked.
//! * [`inclusion_proof`] / [`consistency_proof`]: proof generation from any [`LeafHashes`]
//!   store (a slice of leaf hashes is one).
//! * [`verify_inclusion`] / [`verify_consistency`]: RFC 9162 §2.1.3.2 / §2.1.4.2, transcribed
//!   step by step, plus the edge-case policy of reference §3.4: equal sizes need an empty proof
//!   and equal roots; an empty first tree is consistent with every tree (empty proof, root
//!   SHA-256("")), as in tlog-witness; every hash is 32 bytes (enforced by the [`Hash`](type@Hash) type);
//!   proofs longer than 64 hashes are rejected before any hashing; sizes are `u64`.

use sha2::{Digest, Sha256};

use crate::error::{Error, MerkleProblem};

/// A SHA-256 hash: leaf hash, interior node or tree root.
pub type Hash = [u8; 32];

/// MTH({}) = SHA-256 of the empty string, the root of the empty tree.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// No valid proof for a tree of at most 2^64 − 1 leaves has more hashes than this.
pub const MAX_PROOF_LEN: usize = 64;

/// The leaf hash SHA-256(0x00 || data). `data` is hashed exactly as given.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The interior node hash SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Converts bytes to a [`Hash`](type@Hash), failing unless there are exactly 32 of them.
pub fn hash_from_slice(bytes: &[u8]) -> Result<Hash, Error> {
    bytes
        .try_into()
        .map_err(|_| Error::Merkle(MerkleProblem::HashLength { len: bytes.len() }))
}

/// Streaming RFC 6962 tree hasher in O(log n) memory.
///
/// Holds one hash per set bit of the size: the roots of the perfect subtrees that make up the
/// tree, left (largest) to right. Pushing a leaf merges equal-height subtrees like a binary
/// counter; the root folds the frontier right to left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    frontier: Vec<Hash>,
}

impl CompactRange {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes from the frontier of a tree of `size` leaves: the roots of its perfect subtrees,
    /// left to right (`size.count_ones()` hashes). Nothing here authenticates the hashes; a
    /// later root comparison against a signed checkpoint does.
    pub fn from_frontier(size: u64, frontier: Vec<Hash>) -> Result<Self, Error> {
        let expected = size.count_ones() as usize;
        if frontier.len() != expected {
            return Err(MerkleProblem::FrontierLength {
                size,
                expected,
                actual: frontier.len(),
            }
            .into());
        }
        Ok(CompactRange { size, frontier })
    }

    /// Number of leaves pushed (including those summarised by a seed frontier).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, left to right.
    pub fn frontier(&self) -> &[Hash] {
        &self.frontier
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) -> Result<(), Error> {
        let new_size = self.size.checked_add(1).ok_or(MerkleProblem::TreeFull)?;
        let mut h = leaf;
        let mut s = self.size;
        // Each trailing 1 bit of the old size is a perfect subtree of the same height as `h`.
        while s & 1 == 1 {
            match self.frontier.pop() {
                Some(left) => h = node_hash(&left, &h),
                // Unreachable: the frontier always has count_ones(size) entries.
                None => break,
            }
            s >>= 1;
        }
        self.frontier.push(h);
        self.size = new_size;
        Ok(())
    }

    /// MTH of all leaves pushed so far (SHA-256("") when empty).
    pub fn root(&self) -> Hash {
        let mut iter = self.frontier.iter().rev();
        let Some(last) = iter.next() else {
            return EMPTY_ROOT;
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// Random access to leaf hashes, for proof generation.
pub trait LeafHashes {
    /// The leaf hash at `index`, or `None` if the store does not have it.
    fn leaf_hash(&self, index: u64) -> Option<Hash>;
}

impl LeafHashes for [Hash] {
    fn leaf_hash(&self, index: u64) -> Option<Hash> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.get(i))
            .copied()
    }
}

impl LeafHashes for Vec<Hash> {
    fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.as_slice().leaf_hash(index)
    }
}

fn get_leaf<S: LeafHashes + ?Sized>(store: &S, index: u64) -> Result<Hash, Error> {
    store
        .leaf_hash(index)
        .ok_or(Error::Merkle(MerkleProblem::MissingLeaf { index }))
}

/// MTH(D\[start:end\]) over the store's leaf hashes, streamed through a [`CompactRange`].
pub fn subtree_root<S: LeafHashes + ?Sized>(
    store: &S,
    start: u64,
    end: u64,
) -> Result<Hash, Error> {
    if start > end {
        return Err(MerkleProblem::SizesOutOfOrder {
            first: start,
            second: end,
        }
        .into());
    }
    let mut range = CompactRange::new();
    for i in start..end {
        range.push(get_leaf(store, i)?)?;
    }
    Ok(range.root())
}

/// The largest power of two strictly below `n` (`n >= 2`): RFC 6962's split point k.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The RFC 6962 §2.1.1 audit path for leaf `index` in the tree of the first `size` leaves,
/// leaf sibling first.
pub fn inclusion_proof<S: LeafHashes + ?Sized>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, Error> {
    if index >= size {
        return Err(MerkleProblem::IndexOutOfRange { index, size }.into());
    }
    let mut path = Vec::new();
    path_rec(store, index, 0, size, &mut path)?;
    Ok(path)
}

// PATH(m, D[start:end]); appends siblings bottom-up. Recursion depth ≤ 64 (one level per bit).
fn path_rec<S: LeafHashes + ?Sized>(
    store: &S,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path_rec(store, m, start, start + k, out)?;
        out.push(subtree_root(store, start + k, end)?);
    } else {
        path_rec(store, m - k, start + k, end, out)?;
        out.push(subtree_root(store, start, start + k)?);
    }
    Ok(())
}

/// The RFC 6962 §2.1.2 consistency proof from the tree of `first` leaves to the tree of
/// `second` leaves. Empty when `first == second` or `first == 0` (see the module policy).
pub fn consistency_proof<S: LeafHashes + ?Sized>(
    store: &S,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, Error> {
    if first > second {
        return Err(MerkleProblem::SizesOutOfOrder { first, second }.into());
    }
    let mut proof = Vec::new();
    if first == 0 || first == second {
        return Ok(proof);
    }
    subproof_rec(store, first, 0, second, true, &mut proof)?;
    Ok(proof)
}

// SUBPROOF(m, D[start:end], b); 0 < m <= end - start.
fn subproof_rec<S: LeafHashes + ?Sized>(
    store: &S,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), Error> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(subtree_root(store, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof_rec(store, m, start, start + k, complete, out)?;
        out.push(subtree_root(store, start + k, end)?);
    } else {
        subproof_rec(store, m - k, start + k, end, false, out)?;
        out.push(subtree_root(store, start, start + k)?);
    }
    Ok(())
}

/// Shifts `fn_` and `sn` right until `fn_`'s lowest bit is set or `fn_` is 0 — RFC 9162 step
/// 3.b.2 / 6.b.2. Called only when the lowest bit is clear.
fn shift_until_odd_or_zero(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): `leaf` is at `index` in the tree of
/// `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    let r = root_from_inclusion(index, size, leaf, path)?;
    if &r != root {
        return Err(MerkleProblem::RootMismatch.into());
    }
    Ok(())
}

/// The root an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1–3 and the `sn == 0` part of
/// step 4). Comparing it with a trusted root is the caller's job; prefer [`verify_inclusion`].
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
) -> Result<Hash, Error> {
    if index >= size {
        return Err(MerkleProblem::IndexOutOfRange { index, size }.into());
    }
    if path.len() > MAX_PROOF_LEN {
        return Err(MerkleProblem::PathTooLong {
            len: path.len(),
            max: MAX_PROOF_LEN,
        }
        .into());
    }
    let mut fn_ = index;
    let mut sn = size - 1; // size > index >= 0, so no underflow
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return Err(MerkleProblem::ProofTooLong.into());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                shift_until_odd_or_zero(&mut fn_, &mut sn);
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleProblem::ProofTooShort.into());
    }
    Ok(r)
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): the tree of `first` leaves with root
/// `first_root` is a prefix of the tree of `second` leaves with root `second_root`.
///
/// Outside the RFC algorithm (reference §3.4): `first > second` fails; `first == second`
/// needs an empty proof and equal roots; `first == 0` needs an empty proof and
/// `first_root == SHA-256("")` (tlog-witness), and a size-0 tree always has that root.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), Error> {
    if first > second {
        return Err(MerkleProblem::SizesOutOfOrder { first, second }.into());
    }
    if proof.len() > MAX_PROOF_LEN {
        return Err(MerkleProblem::PathTooLong {
            len: proof.len(),
            max: MAX_PROOF_LEN,
        }
        .into());
    }
    if first == 0 || first == second {
        if !proof.is_empty() {
            return Err(MerkleProblem::ProofNotEmpty.into());
        }
        if first == 0 && first_root != &EMPTY_ROOT {
            return Err(MerkleProblem::EmptyTreeRoot.into());
        }
        if first == second && first_root != second_root {
            return Err(MerkleProblem::RootMismatch.into());
        }
        return Ok(());
    }
    // Now 0 < first < second. Step 1.
    let Some((head, rest)) = proof.split_first() else {
        return Err(MerkleProblem::ProofTooShort.into());
    };
    // Step 2: if first is a power of two, first_root is the implicit first path element.
    let (start, rest) = if first.is_power_of_two() {
        (first_root, proof)
    } else {
        (head, rest)
    };
    // Step 3.
    let mut fn_ = first - 1;
    let mut sn = second - 1;
    // Step 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let mut fr = *start;
    let mut sr = *start;
    // Step 6.
    for c in rest {
        if sn == 0 {
            return Err(MerkleProblem::ProofTooLong.into());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                shift_until_odd_or_zero(&mut fn_, &mut sn);
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(MerkleProblem::ProofTooShort.into());
    }
    if &fr != first_root {
        return Err(MerkleProblem::FirstRootMismatch.into());
    }
    if &sr != second_root {
        return Err(MerkleProblem::SecondRootMismatch.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points() {
        assert_eq!(split(2), 1);
        assert_eq!(split(5), 4);
        assert_eq!(split(8), 4);
        assert_eq!(split(9), 8);
        assert_eq!(split(u64::MAX), 1 << 63);
    }

    #[test]
    fn empty_root_constant() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(CompactRange::new().root(), EMPTY_ROOT);
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        // Size u64::MAX: the last leaf (index u64::MAX - 1) sits under a right spine of 63
        // perfect subtrees, so 63 hashes are the right length and only the root differs.
        let path63 = vec![[7u8; 32]; 63];
        let r = verify_inclusion(u64::MAX - 1, u64::MAX, &[1; 32], &path63, &[0; 32]);
        assert_eq!(r, Err(Error::Merkle(MerkleProblem::RootMismatch)));
        let path64 = vec![[7u8; 32]; 64];
        let r = verify_inclusion(u64::MAX - 1, u64::MAX, &[1; 32], &path64, &[0; 32]);
        assert_eq!(r, Err(Error::Merkle(MerkleProblem::ProofTooLong)));
        // Leaf 0 needs all 64.
        let r = verify_inclusion(0, u64::MAX, &[1; 32], &path64, &[0; 32]);
        assert_eq!(r, Err(Error::Merkle(MerkleProblem::RootMismatch)));
        let r = verify_consistency(u64::MAX - 1, u64::MAX, &[1; 32], &[2; 32], &path64);
        assert!(r.is_err());
        let path65 = vec![[7u8; 32]; 65];
        assert_eq!(
            verify_inclusion(0, u64::MAX, &[1; 32], &path65, &[0; 32]),
            Err(Error::Merkle(MerkleProblem::PathTooLong {
                len: 65,
                max: 64
            }))
        );
    }

    #[test]
    fn frontier_length_checked() {
        assert!(CompactRange::from_frontier(5, vec![[0; 32]]).is_err());
        assert!(CompactRange::from_frontier(5, vec![[0; 32]; 2]).is_ok());
        let mut full = CompactRange::from_frontier(u64::MAX, vec![[0; 32]; 64]).unwrap();
        assert_eq!(
            full.push([0; 32]),
            Err(Error::Merkle(MerkleProblem::TreeFull))
        );
    }

    #[test]
    fn missing_leaf_reported() {
        let leaves: Vec<Hash> = vec![[0; 32]; 3];
        assert_eq!(
            inclusion_proof(&leaves, 0, 5),
            Err(Error::Merkle(MerkleProblem::MissingLeaf { index: 3 }))
        );
    }
}
