//! The status pages' landing numbers (`/overview`): the cluster in brief, the
//! materializer's group (and this instance's consumer in it, as its watchdog
//! sees it), GeoLedger's topics and the dead letters waiting, read together.

use app::domain::kafka::PipelineStatus;

use super::DeadLetters;
use crate::error::Error;
use crate::kafka_admin::KafkaAdmin;
use crate::pipeline::Watchdog;

pub async fn pipeline(
    admin: &KafkaAdmin,
    dead_letters: &DeadLetters,
    group: &str,
    watchdog: &Watchdog,
) -> Result<PipelineStatus, Error> {
    let (cluster, groups) = admin.cluster().await?;
    let mut topics: Vec<_> = cluster.topics.into_iter().filter(|t| t.geoledger).collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let dlt = dead_letters.topic();
    let in_dead_letters = topics.iter().filter(|t| t.name == dlt).map(|t| t.messages()).sum();
    Ok(PipelineStatus {
        cluster_id: cluster.id,
        brokers: cluster.brokers.len(),
        controller: cluster.controller,
        materializer_id: group.to_string(),
        materializer: groups.into_iter().find(|g| g.id == group),
        this_instance: Some(watchdog.health()),
        topics,
        dead_letters_waiting: dead_letters.waiting(in_dead_letters).await?,
        dead_letter_topic: dlt,
    })
}
