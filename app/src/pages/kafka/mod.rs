//! The Kafka status pages: the cluster, a topic with its messages, the
//! consumer groups, one group with its lag, the dead letters.

pub mod dead_letters;
pub mod group;
pub mod groups;
pub mod overview;
pub mod topic;
