//! `geoledger`: serve the app (the default), manage API tokens and admins, or
//! rebuild the read model from the event topics.

use clap::{Parser, Subcommand};
use geoledger::auth::{normalize_email, Tokens, Users};
use geoledger::config::Config;
use geoledger::pipeline::replay::replay;
use geoledger::store::Mongo;

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
    /// Manage the API tokens scripts use (Authorization: Bearer <token>).
    Token {
        #[command(subcommand)]
        action: TokenAction,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage admins (who sign in to the web app).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Rebuild the read model from offset 0 of the event topics, into fresh
    /// collections that then replace the live ones.
    Replay(Config),
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token and print it (the only time it is shown).
    Create {
        #[arg(long)]
        name: String,
    },
    /// List the tokens by name.
    List,
    /// Revoke a token by name.
    Revoke { name: String },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create an admin, or set a new password for one. The password comes from
    /// GEOLEDGER_ADMIN_PASSWORD, or else the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(clap::Args)]
struct DbArgs {
    /// MongoDB connection string; its path names the database.
    #[arg(long, env = "GEOLEDGER_MONGODB_URI", default_value = "mongodb://127.0.0.1:27017/geoledger", global = true)]
    mongodb_uri: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    geoledger::telemetry::init();
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // `cargo leptos serve` starts the binary without arguments: serve.
        cli = Cli::parse_from(["geoledger", "serve"]);
    }
    match cli.command.expect("serve is the default command") {
        Command::Serve(config) => geoledger::serve(config).await,
        Command::Token { action, db } => token(action, &db.mongodb_uri).await,
        Command::Admin { action: AdminAction::Create { email }, db } => {
            let password = match std::env::var("GEOLEDGER_ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    eprint!("password for {email}: ");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let mongo = Mongo::connect(&db.mongodb_uri).await?;
            Users::new(&mongo.db).upsert(&email, &password).await?;
            mongo.close().await;
            eprintln!("admin {} can sign in", normalize_email(&email));
            Ok(())
        }
        Command::Replay(config) => {
            let report = replay(&config).await?;
            println!(
                "replayed {} events: {} applied, {} skipped (dead-lettered when live); the read model was swapped in",
                report.events, report.applied, report.skipped
            );
            Ok(())
        }
    }
}

async fn token(action: TokenAction, uri: &str) -> anyhow::Result<()> {
    let mongo = Mongo::connect(uri).await?;
    let result = token_action(action, &mongo).await;
    mongo.close().await;
    result
}

async fn token_action(action: TokenAction, mongo: &Mongo) -> anyhow::Result<()> {
    let tokens = Tokens::new(&mongo.db);
    tokens.ensure_indexes().await?;
    match action {
        TokenAction::Create { name } => {
            let token = tokens.create(&name).await?;
            eprintln!("API token '{}' created. It is shown once; keep it secret:", name.trim());
            println!("{token}");
        }
        TokenAction::List => {
            let list = tokens.list().await?;
            if list.is_empty() {
                eprintln!("no API tokens");
            }
            for t in list {
                println!(
                    "{}\tcreated {}\tlast used {}",
                    t.name,
                    t.created_at,
                    t.last_used_at.as_deref().unwrap_or("never")
                );
            }
        }
        TokenAction::Revoke { name } => {
            anyhow::ensure!(tokens.revoke(&name).await?, "no API token named '{name}'");
            eprintln!("API token '{name}' revoked");
        }
    }
    Ok(())
}
