//! `geoledger`: serve the app (the default), manage API tokens and admins, or
//! rebuild the read model from the event topics.

use std::sync::Arc;
use std::time::Duration;

use app::domain::import::format::Format;
use app::domain::import::job::{refused_rows, Door, ImportJob, JobStatus};
use clap::{Parser, Subcommand};
use geoledger::auth::{normalize_email, MongoSessionStore, Tokens, Users};
use geoledger::config::Config;
use geoledger::import::{progress, ImportLimits, Importer, Upload};
use geoledger::index::quality::Rules;
use geoledger::index::ReadIndex;
use geoledger::pipeline::replay::replay;
use geoledger::pipeline::{GroupPosition, Kafka};
use geoledger::service::Actor;
use geoledger::store::{ImportJobs, Mongo, Store};
use indicatif::{ProgressBar, ProgressStyle};

/// mimalloc rather than glibc's malloc: see server/Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit` and `mi_option_purge_delay`: their
/// places in `mi_option_t` in mimalloc.h, the same in mimalloc 2 and 3
/// (libmimalloc-sys names no constant for them).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets mimalloc's options. It must run before the first allocation, which
/// reserves mimalloc's arena and decides then how it commits memory: on Linux
/// it runs before `main`, from the executable's `.init_array`.
///
/// - The arena commits memory as it is used, not all at once (mimalloc's
///   default on Linux): through a 600,000-city import the server's RSS peaked
///   at 272 MB instead of 295 MB, and held 252 MB after it instead of 269 MB.
/// - Memory freed goes back to the system at once, not 10 ms later: during a
///   600,000-city import the server's RSS peaked at 363 MB instead of 406 MB
///   (before the index was made smaller), at no measurable cost in time.
extern "C" fn tune_allocator() {
    // SAFETY: each call writes one entry of mimalloc's option table; nothing else runs yet.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

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
    /// collections that then replace the live ones. Refused while a GeoLedger
    /// server is consuming, and when a topic no longer holds its first events.
    Replay(ReplayArgs),
    /// Import CSV files (GeoLedger cities or pincodes, or India Post's
    /// directory), one after the other: publish each file's changes, then wait
    /// until they are applied. Exits with status 1 when any row was refused or
    /// any change not made.
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// Replay even though a topic's first events were deleted (its retention):
    /// the read model is then rebuilt from what is left, and loses the rest.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    config: Config,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The CSV files, imported in this order.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
    /// cities, pincodes or india-post (default: read from the header row).
    #[arg(long, value_parser = |s: &str| Format::parse(s))]
    format: Option<Format>,
    /// Check every row and report; publish nothing.
    #[arg(long)]
    dry_run: bool,
    /// How long to wait for the changes to be applied (a GeoLedger server's
    /// materializer applies them), in seconds.
    #[arg(long, default_value_t = 600)]
    wait_secs: u64,
    /// Import only into an empty read model (no city, no pincode), as on a
    /// first start; otherwise do nothing.
    #[arg(long)]
    if_empty: bool,
    #[command(flatten)]
    config: Config,
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
    /// (Its value is never printed: it may hold a password.)
    #[arg(
        long,
        env = "GEOLEDGER_MONGODB_URI",
        default_value = "mongodb://127.0.0.1:27017/geoledger",
        global = true,
        hide_env_values = true
    )]
    mongodb_uri: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    #[cfg(not(target_os = "linux"))]
    tune_allocator();
    geoledger::telemetry::init().map_err(anyhow::Error::msg)?;
    // Tests' fail points (FAILPOINTS=name=action;…), in builds with the
    // `failpoints` feature only: `cargo test` builds, never cargo-leptos's.
    #[cfg(feature = "failpoints")]
    let _fail_points = fail::FailScenario::setup();
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
            let email = normalize_email(&email);
            Users::new(&mongo.db).upsert(&email, &password).await?;
            // A password set anew ends the sessions signed in with the old one.
            let ended = MongoSessionStore::new(&mongo.db, Duration::MAX).end_sessions_of(&email, None).await?;
            mongo.close().await;
            eprintln!("admin {email} can sign in ({ended} session{} ended)", if ended == 1 { "" } else { "s" });
            Ok(())
        }
        Command::Import(args) => {
            let jobs = import_files(args).await?;
            for (job, refused) in &jobs {
                println!("{}", job.summary());
                for line in refused {
                    println!("{line}");
                }
            }
            if jobs.iter().any(|(job, _)| job.has_problems()) {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Replay(args) => {
            let report = replay(&args.config, args.force).await?;
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

/// A bar on a terminal (hidden when stderr is not one).
fn bar(what: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(1000);
    let style = ProgressStyle::with_template("{prefix:>10} [{bar:40}] {percent:>3}% {msg}").expect("a valid template");
    bar.set_style(style.progress_chars("=> "));
    bar.set_prefix(what);
    bar
}

/// `geoledger import`: runs the import engine here, a file at a time, with bars
/// for published and applied; each file's job at its end, with what a
/// terminal shows of its refused rows.
async fn import_files(args: ImportArgs) -> anyhow::Result<Vec<(ImportJob, Vec<String>)>> {
    let config = &args.config;
    let kafka = Arc::new(Kafka::connect(&config.kafka_brokers, &config.kafka)?);
    let mongo = Mongo::connect(&config.mongodb_uri).await?;
    let store = Store::new(&mongo.db);
    let jobs = ImportJobs::new(&mongo.db);
    // A dry run counts the findings a file would open against the data as it is.
    let index = Arc::new(ReadIndex::with_rules(Rules::of(&config.quality)));
    let importer =
        Importer::new(kafka.clone(), store.clone(), index.clone(), jobs.clone(), ImportLimits::of(&config.import));
    let done = async {
        store.ensure_indexes().await?;
        jobs.ensure_indexes().await?;
        kafka.ensure_topics().await?;
        if args.dry_run {
            index.load(&store).await?;
        }
        if args.if_empty && !store.is_empty().await? {
            eprintln!("the read model holds data already: nothing imported");
            return Ok(Vec::new());
        }
        let mut done = Vec::new();
        for file in &args.files {
            let job = import_file(&args, file, &importer, &jobs, &kafka).await?;
            let (report, _) = jobs.problems(&job.id, usize::MAX).await?;
            let refused = refused_rows(&job, &report);
            done.push((job, refused));
        }
        anyhow::Ok(done)
    }
    .await;
    mongo.close().await;
    done
}

async fn import_file(
    args: &ImportArgs,
    file: &std::path::Path,
    importer: &Importer,
    jobs: &ImportJobs,
    kafka: &Kafka,
) -> anyhow::Result<ImportJob> {
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let user =
        ["USER", "LOGNAME", "USERNAME"].iter().find_map(|v| std::env::var(v).ok()).unwrap_or_else(|| "someone".into());
    let upload = Upload {
        file_name: file_name.clone(),
        format: args.format,
        dry_run: args.dry_run,
        actor: Actor::cli(&user),
        door: Door::Cli,
    };
    let published = bar("published");
    published.println(format!("importing {}", file.display()));
    let show = |job: &ImportJob| {
        published.set_position((job.published_share() * 1000.0) as u64);
        published.set_message(format!(
            "{} changes of {} rows read; {} invalid",
            job.changes.published, job.rows.read, job.rows.invalid
        ));
    };
    let result = importer.run_file(file, upload, &show).await;
    published.finish();
    let mut job = result.map_err(|e| anyhow::anyhow!("{file_name}: {}", e.to_app_error()))?;
    if job.status == JobStatus::Applying {
        let applied = bar("applied");
        let position = GroupPosition::new(kafka)?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(args.wait_secs);
        while job.status == JobStatus::Applying && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let Some((now, offsets)) = jobs.get_with_offsets(&job.id).await? else { break };
            job = now;
            progress::refresh(&mut job, &offsets, None, importer.limits().stale_after(), &position).await?;
            applied.set_position((job.applied_share() * 1000.0) as u64);
            applied.set_message(format!("{} of {} changes", job.changes.applied, job.changes.published));
        }
        applied.finish();
        jobs.set_progress(&job).await?;
        if job.status == JobStatus::Applying {
            eprintln!("not all changes were applied within {} s: is a GeoLedger server running?", args.wait_secs);
        }
    }
    Ok(job)
}
