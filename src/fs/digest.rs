//! SHA-256 digests of bytes in memory (L2: never by re-reading dest): of
//! one file's bytes, or of each file of an asset read from its blobs.

use crate::asset::AssetTree;
use crate::error::Result;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Lowercase 64-hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The SHA-256 digest (64 lowercase hex) of each file of `tree`, by path
/// (L2), reading one blob at a time.
///
/// # Errors
/// `io` when a blob cannot be read.
pub fn tree_digests(tree: &AssetTree) -> Result<BTreeMap<String, String>> {
    let reader = tree.blobs.reader();
    tree.files
        .iter()
        .map(|f| Ok((f.path.clone(), sha256_hex(&reader.read(f)?))))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
