use clap::{Parser, Subcommand};
use geoledger::config::Config;

/// GeoLedger: the admin dashboard for India's location reference data.
#[derive(Parser)]
#[command(name = "geoledger", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app, the REST API and the health endpoints (the default).
    Serve(Config),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    geoledger::telemetry::init();
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // `cargo leptos serve` starts the binary without arguments: serve.
        cli = Cli::parse_from(["geoledger", "serve"]);
    }
    match cli.command {
        Some(Command::Serve(config)) => geoledger::serve(config).await,
        None => unreachable!("serve is the default command"),
    }
}
