//! Hotline's channel log: RFC 6962 / RFC 9162 Merkle trees over stored
//! hashes ([`merkle`]), C2SP signed notes ([`note`]), checkpoints
//! ([`checkpoint`]), timestamped cosignatures ([`cosignature`]) and tiles
//! ([`tiles`]). The byte-level description is `docs/log.md`.
//!
//! ```
//! use hotline_log::{merkle, checkpoint::Checkpoint, note::{Note, Ed25519Signer, Ed25519Verifier}};
//!
//! let mut tree = merkle::MemoryTree::new();
//! for e in [b"a", b"b", b"c"] {
//!     tree.append(merkle::leaf_hash(e));
//! }
//! let proof = merkle::inclusion_proof(1, 3, &tree)?;
//! merkle::verify_inclusion(1, 3, &merkle::leaf_hash(b"b"), &proof, &tree.root())?;
//!
//! let signer = Ed25519Signer::new("relay.example/c0ffee", &[7; 32]).unwrap();
//! let cp = Checkpoint { origin: "relay.example/c0ffee".into(), size: 3, root: tree.root(), extensions: vec![] };
//! let mut note = Note::new(&cp.to_text()).unwrap();
//! note.add_signature(signer.sign(&note.text));
//! let verifier = Ed25519Verifier::from_vkey(&signer.vkey()).unwrap();
//! Note::parse(&note.to_bytes()).unwrap().verify(&[&verifier]).unwrap();
//! # Ok::<(), hotline_log::merkle::MerkleError>(())
//! ```
//!
//! This crate deliberately knows nothing of HTTP, databases, files or
//! envelopes: storage reaches it through [`merkle::HashReader`], and tile
//! files are bytes the caller writes or serves.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checkpoint;
pub mod cosignature;
pub mod log;
pub mod memory;
pub mod merkle;
pub mod note;
pub mod storage;
pub mod tiles;
