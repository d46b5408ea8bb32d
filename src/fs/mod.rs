//! Handle-based file-system access on the project tree (CONTRACT Y2, Y3,
//! I3, I6, L7): every path below the project root is reached through
//! no-follow directory handles, so a planted symbolic link can never
//! redirect a write.
//!
//! * [`safedir`]: [`SafeDir`], the directory handle, and its atomic writes;
//! * [`stage`]: building dest in a sibling staging directory (I6);
//! * [`digest`]: SHA-256 of bytes in memory (L2);
//! * [`walk`]: tree walks with a constant number of open handles (E4);
//! * [`failpoint`]: named crash points for the kill tests.

pub mod digest;
pub mod failpoint;
pub mod home;
pub mod safedir;
pub mod stage;
pub mod walk;

pub use safedir::{
    DIR_MODE, Durability, EXEC_MODE, EntryKind, FILE_MODE, IfExists, Meta, PRIVATE_MODE, ReadUpto,
    SafeDir, temp_name, temp_prefix,
};
